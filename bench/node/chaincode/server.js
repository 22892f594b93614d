#!/usr/bin/env node
/*
 * Serve the Node reading-ingest chaincode to Fabric peers (chaincode-as-a-service),
 * with the same command line as the Python servers (`chaincode/runtime/server.py`):
 *
 *     node server.js --chaincode-id readings-node_1.0:<sha256> --address 127.0.0.1:7102 \
 *         --tls-cert server.crt --tls-key server.key --tls-client-root peer-tls-ca.crt
 *
 * Everything comes from explicit arguments; nothing is read from CHAINCODE_ID,
 * CHAINCODE_SERVER_ADDRESS or CORE_TLS_* (fabric-chaincode-node's own `server`
 * command reads those). The contracts run on fabric-shim's ChaincodeFromContract (what
 * `fabric-chaincode-node server` runs), and every error response carries the status of
 * the error the transaction raised (400, 403, 404, 409, ...), as the Python server does.
 * Runs until SIGINT or SIGTERM, then lets in-flight transactions finish (up to 5 s).
 */
'use strict';

// grpc-js warns that fabric-shim still calls server.start(): noise in every server's log
process.noDeprecation = true;

const fs = require('node:fs');
const path = require('node:path');
const {parseArgs} = require('node:util');

const PROG = 'node bench/node/chaincode/server.js';
const GRACE_MS = 5000;
const MAX_MESSAGE_BYTES = 100 * 1024 * 1024; // the peer's own gRPC limit
const PACKAGE_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*:[0-9a-f]{64}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const LEVELS = {DEBUG: 'debug', INFO: 'info', WARNING: 'warning', ERROR: 'error', CRITICAL: 'critical'};
const RANK = {debug: 0, info: 1, warning: 2, error: 3, critical: 4};
const LOG_ENV = 'GRIDLEDGER_CC_LOG_LEVEL';

const USAGE = `usage: ${PROG} [-h] --chaincode-id CHAINCODE_ID --address ADDRESS
       [--tls-cert TLS_CERT] [--tls-key TLS_KEY] [--tls-client-root TLS_CLIENT_ROOT] [--insecure]

Serve this chaincode to Fabric peers (chaincode-as-a-service).

options:
  -h, --help            show this help message and exit
  --chaincode-id ID     the installed package id, '<label>:<sha256>' (peer lifecycle
                        chaincode calculatepackageid); the peer only accepts this exact id
  --address ADDRESS     host:port to listen on, e.g. 0.0.0.0:9999
  --tls-cert FILE       server TLS certificate (PEM)
  --tls-key FILE        server TLS private key (PEM)
  --tls-client-root FILE
                        CA (PEM) of the peers' client certificates: enables mutual TLS,
                        clients without a certificate it issued are refused
  --insecure            plain-text gRPC, for local tests only

Log levels: ${LOG_ENV}=DEBUG (ours) or e.g. 'INFO,shim=INFO' (fabric-shim's; default WARNING).`;

class ServerError extends Error {}

function usageError(message) {
    process.stderr.write(`${USAGE.split('\n\n')[0]}\n${PROG}: error: ${message}\n`);
    process.exit(2);
}

function parseLevels(spec) {
    const levels = {ours: 'info', shim: 'warning'};
    for (const item of spec.split(',').map((part) => part.trim()).filter(Boolean)) {
        const cut = item.lastIndexOf('=');
        const name = cut < 0 ? '' : item.slice(0, cut).trim();
        const level = LEVELS[item.slice(cut + 1).trim().toUpperCase()];
        if (level === undefined) {
            throw new Error(`invalid ${LOG_ENV} entry '${item}': level must be one of ` +
                'DEBUG, INFO, WARNING, ERROR, CRITICAL');
        }
        levels[name === 'shim' ? 'shim' : 'ours'] = level;
    }
    return levels;
}

function logger(level) {
    return (severity, message) => {
        if (RANK[severity] >= RANK[level]) {
            const stamp = new Date().toISOString();
            process.stderr.write(`${stamp} ${severity.toUpperCase()} chaincode.node ${message}\n`);
        }
    };
}

function readPem(flag, file) {
    let data;
    try {
        data = fs.readFileSync(file);
    } catch (err) {
        throw new ServerError(`cannot read ${flag} ${file}: ${err.code || err.message}`);
    }
    if (!data.includes('-----BEGIN ')) {
        throw new ServerError(`${flag} ${file} is not a PEM file`);
    }
    return data;
}

function parseCommandLine(argv) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            options: {
                'help': {type: 'boolean', short: 'h'},
                'chaincode-id': {type: 'string'},
                'address': {type: 'string'},
                'tls-cert': {type: 'string'},
                'tls-key': {type: 'string'},
                'tls-client-root': {type: 'string'},
                'insecure': {type: 'boolean'},
            },
            strict: true,
            allowPositionals: false,
        });
    } catch (err) {
        usageError(err.message);
    }
    const args = parsed.values;
    if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
    }
    for (const flag of ['chaincode-id', 'address']) {
        if (args[flag] === undefined) {
            usageError(`the following arguments are required: --${flag}`);
        }
    }
    if (!PACKAGE_ID.test(args['chaincode-id'])) {
        usageError(`argument --chaincode-id: '${args['chaincode-id']}' is not a package id '<label>:<sha256 hex>'`);
    }
    const address = ADDRESS.exec(args.address);
    if (!address || Number(address[2]) > 65535) {
        usageError(`argument --address: '${args.address}' is not host:port`);
    }
    const tlsFlags = ['tls-cert', 'tls-key', 'tls-client-root'];
    if (args.insecure && tlsFlags.some((flag) => args[flag] !== undefined)) {
        usageError('--insecure cannot be combined with --tls-cert, --tls-key or --tls-client-root');
    }
    if (!args.insecure && (args['tls-cert'] === undefined || args['tls-key'] === undefined)) {
        usageError('--tls-cert and --tls-key are required (or --insecure for a local test)');
    }
    return args;
}

/** Count the transactions in flight, so that a stop can wait for them. */
function counted(chaincode) {
    const tracker = {inFlight: 0, idle: null};
    const wrap = (method) => async (stub) => {
        tracker.inFlight++;
        try {
            return await chaincode[method](stub);
        } finally {
            tracker.inFlight--;
            if (tracker.inFlight === 0 && tracker.idle) {
                tracker.idle();
            }
        }
    };
    return {chaincode: {Init: wrap('Init'), Invoke: wrap('Invoke')}, tracker};
}

async function main() {
    const args = parseCommandLine(process.argv.slice(2));
    let levels;
    try {
        levels = parseLevels(process.env[LOG_ENV] || '');
    } catch (err) {
        usageError(err.message);
    }
    // fabric-shim reads its level once, when its modules load
    process.env.CORE_CHAINCODE_LOGGING_LEVEL = levels.shim.toUpperCase();
    const log = logger(levels.ours);

    const shim = require('fabric-shim');
    const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract');
    const {JSONSerializer} = require('fabric-contract-api');
    const {contracts} = require('./lib');
    const {withStatus} = require('./lib/errors');
    const pkg = require(path.join(__dirname, 'package.json'));

    let tlsProps;
    try {
        if (!args.insecure) {
            tlsProps = {
                cert: readPem('--tls-cert', args['tls-cert']),
                key: readPem('--tls-key', args['tls-key']),
            };
            if (args['tls-client-root'] !== undefined) {
                tlsProps.clientCACerts = readPem('--tls-client-root', args['tls-client-root']);
            }
        }
    } catch (err) {
        log('error', err.message);
        return 1;
    }
    const serializers = {transaction: 'jsonSerializer', serializers: {jsonSerializer: JSONSerializer}};
    const contractChaincode = new ChaincodeFromContract(
        [...contracts], serializers, {}, pkg.name, pkg.version);
    const {chaincode, tracker} = counted(withStatus(contractChaincode));
    const server = shim.server(chaincode, {
        ccid: args['chaincode-id'],
        address: args.address,
        tlsProps,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        // the peer pings its chaincode connection; answer rather than drop the stream
        'grpc.keepalive_permit_without_calls': 1,
    });
    try {
        await server.start();
    } catch (err) {
        log('error', `cannot listen on ${args.address}: is the port already in use? (${err.message})`);
        return 1;
    }
    const mode = args.insecure ? 'insecure' : tlsProps.clientCACerts ? 'mutual tls' : 'tls';
    log('info', `chaincode ${args['chaincode-id']} listening on ${args.address} (${mode})`);

    await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
    });
    log('info', `stopping chaincode ${args['chaincode-id']}`);
    const grpcServer = server._server;
    grpcServer.unbind(args.address);
    if (tracker.inFlight > 0) {
        await new Promise((resolve) => {
            tracker.idle = resolve;
            setTimeout(resolve, GRACE_MS).unref();
        });
    }
    grpcServer.forceShutdown();
    return 0;
}

main().then((code) => process.exit(code), (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
});
