#!/usr/bin/env node
// A closed-loop load generator on the official Node Fabric Gateway client
// (@hyperledger/fabric-gateway): the baseline GridLedger's Python client is compared with.
//
// Each of --concurrency workers takes the next transaction of the workload file (one JSON
// object per line, never one line twice: the ledger would refuse a repeat as a conflict),
// submits it with contract.submitAsync(), waits for its commit with getStatus(), and takes
// the next. The measured window is the --duration seconds after the --warmup, with the
// same rule as bench/loadgen.py: a transaction counts where it ends, as committed if it
// committed VALID inside the window, whenever it started. One JSON object goes to stdout (`--help` describes it).
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import * as grpc from '@grpc/grpc-js';
import { connect, signers, StatusCode } from '@hyperledger/fabric-gateway';

// grpc-js sends the peer's address as TLS server name, and Node warns when that is an IP
// (127.0.0.1, as the network's peers are addressed): noise on stderr, not a problem.
process.noDeprecation = true;

const PROG = 'node bench/node/client/submit.mjs';
const WINDOW_OPEN = 'window open';
const HELP = `usage: ${PROG} --peer HOST:PORT --tls-root PEM --cert PEM --key PEM
       --msp-id MSP --channel CHANNEL --chaincode NAME --workload FILE.jsonl
       [--contract NAME] [--concurrency N] [--duration SECONDS] [--warmup SECONDS]
       [--timeout SECONDS] [--server-name NAME]

Submit a workload's transactions through a peer's Gateway service, closed loop, and
print one JSON object with what committed and how long each took.

options:
  --peer HOST:PORT      the Gateway peer, e.g. 127.0.0.1:7051
  --tls-root PEM        CA certificate of the peer's TLS certificate
  --cert PEM            the user's enrolment certificate: the identity that signs, and the
                        TLS client certificate (mutual TLS; the org's CA issued both)
  --key PEM             the user's private key
  --msp-id MSP          the user's MSP id, e.g. UtilityMSP
  --channel CHANNEL     e.g. community-sunnyside
  --chaincode NAME      e.g. community
  --contract NAME       contract within the chaincode (default ReadingContract); a workload
                        function written "Contract:Function" names its own
  --workload FILE       JSON lines: {"function": "SubmitReadings", "args": [...],
                        "transient": {"bundles": "<base64>"}}; other fields are ignored.
                        Each line is submitted once: if the lines run out, the run stops
                        early and says so ("workload_exhausted": true, and on stderr)
  --concurrency N       workers, each with one transaction in flight (default 1)
  --duration SECONDS    the measured window after the warm-up (default 10)
  --warmup SECONDS      transactions starting before this are not measured (default 0)
  --timeout SECONDS     deadline of each endorse, submit and commit-status call (default 60)
  --server-name NAME    name to check the peer's TLS certificate against, if not the host
  -h, --help            show this help and exit

output (stdout, one JSON object):
  client "node-fabric-gateway", version (of @hyperledger/fabric-gateway), grpc_js, node,
  concurrency, duration_s (the window), warmup_s, submitted (every transaction sent, warm-up
  included), committed (VALID within the window), failures {kind: count} (kinds:
  "endorsement", "submit", "commit status", "timeout", or the commit's validation code such
  as "MVCC_READ_CONFLICT"), failure_examples {kind: first message}, late (VALID after the
  window closed: neither committed nor failed), latencies_ms (submit to commit status, one
  per committed transaction, in completion order), tx_per_s (committed / duration_s),
  cpu_s (this process's user+system CPU seconds during the window), cpu_run_s (the same
  from the start of the warm-up), workload_exhausted. When the warm-up ends and the
  window opens, "window open" is written to stderr, so that a caller can measure other
  processes over the same window.

exit status: 0 when the run was measured (even with failures), 1 when it could not run
(connection, files), 2 on a usage error.`;

class UsageError extends Error {}

/** A transaction that reached the ledger but was not committed VALID. */
class CommitFailure extends Error {
    constructor(status, codeName) {
        super(`transaction ${status.transactionId} committed with status ${codeName}`);
        this.name = 'CommitFailure';
        this.codeName = codeName;
    }
}

const STATUS_NAMES = Object.fromEntries(
    Object.entries(StatusCode)
        .filter(([, code]) => typeof code === 'number')
        .map(([name, code]) => [code, name]),
);

function packageVersion(name) {
    const require = createRequire(import.meta.url);
    let folder = dirname(require.resolve(name));
    for (;;) {
        try {
            const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
            if (pkg.name === name) {
                return pkg.version;
            }
        } catch {
            // not the package's root yet
        }
        const parent = dirname(folder);
        if (parent === folder) {
            return 'unknown';
        }
        folder = parent;
    }
}

function seconds(flag, text, { min = 0, integer = false } = {}) {
    const value = Number(text);
    if (text === undefined || text === '' || !Number.isFinite(value) || value < min ||
        (integer && !Number.isInteger(value))) {
        const what = integer ? `an integer of at least ${min}` : `a number of at least ${min}`;
        throw new UsageError(`argument --${flag}: '${text}' is not ${what}`);
    }
    return value;
}

function commandLine(argv) {
    const { values } = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
            help: { type: 'boolean', short: 'h' },
            peer: { type: 'string' },
            'tls-root': { type: 'string' },
            cert: { type: 'string' },
            key: { type: 'string' },
            'msp-id': { type: 'string' },
            channel: { type: 'string' },
            chaincode: { type: 'string' },
            contract: { type: 'string', default: 'ReadingContract' },
            workload: { type: 'string' },
            concurrency: { type: 'string', default: '1' },
            duration: { type: 'string', default: '10' },
            warmup: { type: 'string', default: '0' },
            timeout: { type: 'string', default: '60' },
            'server-name': { type: 'string' },
        },
    });
    if (values.help) {
        return { help: true };
    }
    const required = ['peer', 'tls-root', 'cert', 'key', 'msp-id', 'channel', 'chaincode', 'workload'];
    const missing = required.filter((flag) => values[flag] === undefined);
    if (missing.length) {
        throw new UsageError(`the following arguments are required: ${missing.map((f) => `--${f}`).join(', ')}`);
    }
    return {
        ...values,
        concurrency: seconds('concurrency', values.concurrency, { min: 1, integer: true }),
        duration: seconds('duration', values.duration, { min: 0.001 }),
        warmup: seconds('warmup', values.warmup),
        timeout: seconds('timeout', values.timeout, { min: 0.001 }),
    };
}

function readFile(flag, path) {
    try {
        return readFileSync(path);
    } catch (err) {
        throw new Error(`cannot read --${flag} ${path}: ${err.code ?? err.message}`);
    }
}

/** The workload's transactions, decoded before the clock starts. */
function loadWorkload(path) {
    const jobs = [];
    const lines = readFile('workload', path).toString('utf8').split('\n');
    for (const [index, line] of lines.entries()) {
        if (!line.trim()) {
            continue;
        }
        const where = `${path}:${index + 1}`;
        let job;
        try {
            job = JSON.parse(line);
        } catch (err) {
            throw new Error(`${where}: not JSON (${err.message})`);
        }
        if (job === null || typeof job !== 'object' || Array.isArray(job)) {
            throw new Error(`${where}: each line must be a JSON object`);
        }
        if (typeof job.function !== 'string' || !job.function) {
            throw new Error(`${where}: "function" must be a non-empty string`);
        }
        const args = job.args ?? [];
        if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
            throw new Error(`${where}: "args" must be a list of strings`);
        }
        const transient = job.transient ?? {};
        if (transient === null || typeof transient !== 'object' || Array.isArray(transient) ||
            !Object.values(transient).every((v) => typeof v === 'string')) {
            throw new Error(`${where}: "transient" must map names to base64 strings`);
        }
        const transientData = {};
        for (const [name, value] of Object.entries(transient)) {
            if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4) {
                throw new Error(`${where}: transient "${name}" is not base64`);
            }
            transientData[name] = Buffer.from(value, 'base64');
        }
        jobs.push({ function: job.function, arguments: args, transientData });
    }
    return jobs;
}

function failureKind(err) {
    if (err instanceof CommitFailure) {
        return err.codeName;
    }
    if (err?.code === grpc.status.DEADLINE_EXCEEDED) {
        return 'timeout';
    }
    switch (err?.name) {
        case 'EndorseError': return 'endorsement';
        case 'SubmitError': return 'submit';
        case 'CommitStatusError': return 'commit status';
        default: return err?.name ?? 'Error';
    }
}

function describe(err) {
    const details = (err?.details ?? []).map((d) => `${d.mspId}@${d.address}: ${d.message}`);
    const text = [err?.message ?? String(err), ...details].join('; ');
    return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

function cpuSeconds(usage) {
    return (usage.user + usage.system) / 1e6;
}

function round(value, digits) {
    const scale = 10 ** digits;
    return Math.round(value * scale) / scale;
}

function waitForReady(client, timeoutSeconds) {
    return new Promise((resolve, reject) => {
        client.waitForReady(Date.now() + timeoutSeconds * 1000, (err) => {
            if (err) {
                reject(new Error(`cannot reach the peer: ${err.message}`));
            } else {
                resolve();
            }
        });
    });
}

async function run(options) {
    const jobs = loadWorkload(options.workload);
    const tlsRoot = readFile('tls-root', options['tls-root']);
    const certificate = readFile('cert', options.cert);
    const privateKey = createPrivateKey(readFile('key', options.key));
    const clientOptions = options['server-name'] ?
        { 'grpc.ssl_target_name_override': options['server-name'] } : {};
    const client = new grpc.Client(
        options.peer, grpc.credentials.createSsl(tlsRoot, readFile('key', options.key), certificate),
        clientOptions);
    const deadline = () => ({ deadline: Date.now() + options.timeout * 1000 });
    const gateway = connect({
        client,
        identity: { mspId: options['msp-id'], credentials: certificate },
        signer: signers.newPrivateKeySigner(privateKey),
        tlsClientCertificateHash: createHash('sha256').update(new X509Certificate(certificate).raw).digest(),
        endorseOptions: deadline,
        submitOptions: deadline,
        commitStatusOptions: deadline,
        evaluateOptions: deadline,
    });
    try {
        await waitForReady(client, Math.max(options.timeout, 30));
        const network = gateway.getNetwork(options.channel);
        const contracts = new Map();
        const contractFor = (fn) => {
            const qualified = fn.includes(':');
            const key = qualified ? '' : options.contract;
            if (!contracts.has(key)) {
                contracts.set(key, network.getContract(options.chaincode, key || undefined));
            }
            return contracts.get(key);
        };

        const submitOne = async (job) => {
            const commit = await contractFor(job.function).submitAsync(job.function, {
                arguments: job.arguments,
                transientData: job.transientData,
            });
            const status = await commit.getStatus();
            if (!status.successful) {
                throw new CommitFailure(status, STATUS_NAMES[status.code] ?? String(status.code));
            }
        };

        const begin = performance.now();
        const cpuBegin = process.cpuUsage();
        const windowStart = begin + options.warmup * 1000;
        const windowEnd = windowStart + options.duration * 1000;
        let cpuWindow = null;
        const startWindow = () => {
            if (cpuWindow === null) {
                cpuWindow = process.cpuUsage();
                process.stderr.write(`${WINDOW_OPEN}\n`);
            }
        };
        const timer = setTimeout(startWindow, options.warmup * 1000);
        const outcomes = [];
        const examples = {};
        let next = 0;
        let exhausted = false;

        const worker = async () => {
            for (;;) {
                const started = performance.now();
                if (started >= windowEnd) {
                    return;
                }
                if (next >= jobs.length) {
                    exhausted = true;
                    return;
                }
                const job = jobs[next++];
                let failure = null;
                try {
                    await submitOne(job);
                } catch (err) {
                    failure = failureKind(err);
                    examples[failure] ??= describe(err);
                }
                outcomes.push({ started, finished: performance.now(), failure });
            }
        };
        await Promise.all(Array.from({ length: options.concurrency }, worker));
        clearTimeout(timer);
        startWindow();
        const cpuMeasured = cpuSeconds(process.cpuUsage(cpuWindow));
        const cpuRun = cpuSeconds(process.cpuUsage(cpuBegin));

        const inWindow = outcomes.filter((o) => o.finished >= windowStart && o.finished <= windowEnd);
        const committed = inWindow.filter((o) => o.failure === null);
        const failures = {};
        for (const o of inWindow.filter((x) => x.failure !== null)) {
            failures[o.failure] = (failures[o.failure] ?? 0) + 1;
        }
        if (exhausted) {
            process.stderr.write(
                `${PROG}: the workload ran out after ${jobs.length} transactions ` +
                `(${round((performance.now() - windowStart) / 1000, 1)} s into the window); ` +
                'give it more lines for a full window\n');
        }
        return {
            client: 'node-fabric-gateway',
            version: packageVersion('@hyperledger/fabric-gateway'),
            grpc_js: packageVersion('@grpc/grpc-js'),
            node: process.version,
            concurrency: options.concurrency,
            duration_s: options.duration,
            warmup_s: options.warmup,
            submitted: next,
            committed: committed.length,
            failures,
            failure_examples: Object.fromEntries(Object.keys(failures).map((k) => [k, examples[k]])),
            late: outcomes.filter((o) => o.failure === null && o.finished > windowEnd).length,
            latencies_ms: committed.map((o) => round(o.finished - o.started, 3)),
            tx_per_s: round(committed.length / options.duration, 3),
            cpu_s: round(cpuMeasured, 3),
            cpu_run_s: round(cpuRun, 3),
            workload_exhausted: exhausted,
        };
    } finally {
        gateway.close();
        client.close();
    }
}

async function main() {
    let options;
    try {
        options = commandLine(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`${HELP.split('\n\n')[0]}\n${PROG}: error: ${err.message}\n`);
        return 2;
    }
    if (options.help) {
        process.stdout.write(`${HELP}\n`);
        return 0;
    }
    try {
        const report = await run(options);
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return 0;
    } catch (err) {
        process.stderr.write(`${PROG}: ${err.message}\n`);
        return 1;
    }
}

process.exitCode = await main();
