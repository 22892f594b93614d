/*
 * GridLedger's reading-ingest baseline on fabric-contract-api: the contracts this
 * package exports (fabric-shim's bootstrap reads `contracts` from the package's main).
 * Serve it with `node server.js --help`.
 */
'use strict';

const {MeterContract} = require('./meters');

module.exports.contracts = [MeterContract];
