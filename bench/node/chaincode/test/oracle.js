#!/usr/bin/env node
/*
 * Answers questions the Python chaincode answers too, so a test can compare the two
 * (tests/integration/test_node_baseline.py). One JSON object per stdin line,
 * `{"kind": ..., "input": <base64>}`; one JSON answer per stdout line:
 *
 * - json: `loads(input)` as a tagged tree, `str()` of it and its canonical bytes
 *   (base64), or {"error": true} where `json.loads` raises ValueError.
 * - utc:  `checkUtc` of the UTF-8 text: epoch seconds, or null when refused.
 * - b64:  `strictBase64` of the text: the bytes in hex, or null when refused.
 */
'use strict';

const readline = require('node:readline');

const pyjson = require('../lib/pyjson');
const {checkUtc, strictBase64} = require('../lib/readings');

const points = (text) => [...text].map((ch) => ch.codePointAt(0));

function tag(value) {
    if (value === null || typeof value === 'boolean') {
        return ['c', pyjson.pyStr(value)];
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
        return ['i', String(value)];
    }
    if (value instanceof pyjson.PyFloat) {
        return ['f', pyjson.floatRepr(value.value)];
    }
    if (typeof value === 'string') {
        return ['s', points(value)];
    }
    if (Array.isArray(value)) {
        return ['l', value.map(tag)];
    }
    return ['d', [...value].map(([k, v]) => [tag(k), tag(v)])];
}

function answer(kind, raw) {
    if (kind === 'json') {
        let value;
        try {
            value = pyjson.loads(raw);
        } catch (err) {
            if (err instanceof pyjson.JSONDecodeError) {
                return {error: true};
            }
            throw err;
        }
        let dumped;
        try {
            dumped = pyjson.canonicalBytes(value).toString('base64');
        } catch {
            dumped = 'error';
        }
        return {value: tag(value), str: points(pyjson.pyStr(value)), dumps: dumped};
    }
    const text = raw.toString('utf8');
    if (kind === 'utc') {
        try {
            return {seconds: checkUtc('t', text).seconds};
        } catch (err) {
            if (err.name !== 'ValidationError') {
                throw err;
            }
            return {seconds: null};
        }
    }
    if (kind === 'b64') {
        const decoded = strictBase64(text);
        return {hex: decoded === null ? null : decoded.toString('hex')};
    }
    throw new Error(`unknown kind ${kind}`);
}

const lines = readline.createInterface({input: process.stdin});
lines.on('line', (line) => {
    if (line.trim()) {
        const {kind, input} = JSON.parse(line);
        process.stdout.write(`${JSON.stringify(answer(kind, Buffer.from(input, 'base64')))}\n`);
    }
});
