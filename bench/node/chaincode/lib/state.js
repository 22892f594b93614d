/*
 * Deterministic ledger access: canonical JSON state, private collections, the
 * transient map, the transaction time and events (`chaincode/runtime/state.py` and
 * `private.py` of the Python chaincode, on fabric-shim's stub).
 *
 * Every endorsing peer must produce byte-identical results, so values are written as
 * canonical JSON, the only clock is the transaction timestamp, absent keys read as
 * `null`, and a value that does not decode is an error, never `null`. A peer's ERROR
 * answer to a ledger request raises PeerError naming the request.
 */
'use strict';

const {ChaincodeError, PeerError, StateError, ValidationError} = require('./errors');
const {canonicalBytes, compareStrings, pyRepr} = require('./pyjson');

// Like the Go shim: an unbounded range starts here, so that it leaves out composite
// keys, which begin with U+0000.
const EMPTY_KEY_SUBSTITUTE = '\u0001';

async function ask(action, request) {
    try {
        return await request();
    } catch (err) {
        if (err instanceof ChaincodeError) {
            throw err;
        }
        throw new PeerError(`peer refused ${action}: ${err.message}`);
    }
}

function decode(where, raw) {
    try {
        return JSON.parse(Buffer.from(raw).toString('utf8'));
    } catch {
        throw new StateError(`state at key ${where} is not valid json`);
    }
}

function byKey(a, b) {
    return compareStrings(a[0], b[0]);
}

/** The transaction timestamp as RFC 3339 UTC, spelled as protobuf's ToJsonString does. */
function txTimestamp(ctx) {
    const timestamp = ctx.stub.getTxTimestamp();
    const seconds = timestamp && timestamp.seconds !== undefined ? Number(timestamp.seconds) : 0;
    if (!seconds) {
        throw new StateError('transaction has no timestamp');
    }
    const nanos = timestamp.nanos || 0;
    const base = new Date(seconds * 1000).toISOString().slice(0, 19);
    if (nanos === 0) {
        return `${base}Z`;
    }
    if (nanos % 1e6 === 0) {
        return `${base}.${String(nanos / 1e6).padStart(3, '0')}Z`;
    }
    if (nanos % 1e3 === 0) {
        return `${base}.${String(nanos / 1e3).padStart(6, '0')}Z`;
    }
    return `${base}.${String(nanos).padStart(9, '0')}Z`;
}

/** The JSON value stored under `key`, or null when the key is absent. */
async function getJson(ctx, key) {
    const raw = await ask('GetState', () => ctx.stub.getState(key));
    if (!raw || raw.length === 0) {
        return null;
    }
    return decode(key, raw);
}

/** Store `value` under `key` as canonical JSON. */
async function putJson(ctx, key, value) {
    await ask('PutState', () => ctx.stub.putState(key, canonicalBytes(value)));
}

async function collect(action, iterator, decodeValue) {
    return ask(action, async () => {
        const entries = [];
        for await (const kv of iterator()) {
            entries.push([kv.key, decodeValue(kv.key, kv.value)]);
        }
        return entries.sort(byKey);
    });
}

/** `[key, value]` pairs with `startKey <= key < endKey`, in key order. */
async function listJson(ctx, startKey, endKey) {
    return collect('GetStateByRange', () => ctx.stub.getStateByRange(startKey, endKey), decode);
}

/** The `[start, end]` range of every simple key starting with `prefix`. */
function prefixRange(prefix) {
    if (!prefix) {
        throw new Error('prefix must not be empty');
    }
    const last = [...prefix].pop();
    const head = prefix.slice(0, prefix.length - last.length);
    return [prefix, head + String.fromCodePoint(last.codePointAt(0) + 1)];
}

/** Set the transaction's chaincode event; Fabric keeps one per transaction, the last set. */
function emitEvent(ctx, name, payload) {
    ctx.stub.setEvent(name, canonicalBytes(payload));
}

/** The proposal's transient map (data the client sent to the endorsers only). */
function transient(ctx) {
    return ctx.stub.getTransient() || new Map();
}

function checkCollection(collection) {
    if (!collection) {
        throw new ValidationError('private data collection name must not be empty');
    }
    if (collection.includes('\u0000')) {
        throw new ValidationError(`collection name ${pyRepr(collection)} must not contain a nul character`);
    }
}

function check(collection, key) {
    checkCollection(collection);
    if (!key) {
        throw new ValidationError(`key in collection ${collection} must not be empty`);
    }
}

/** The committed value of `key` in `collection`, or null when absent. */
async function getPrivate(ctx, collection, key) {
    check(collection, key);
    const raw = await ask('GetPrivateData', () => ctx.stub.getPrivateData(collection, key));
    return raw && raw.length ? Buffer.from(raw) : null;
}

/**
 * The committed values of `keys` in `collection` (null where absent), in order: one
 * request where the shim offers multi-key reads (`getMultiplePrivateData`, fabric-shim
 * after 2.5.8), else one GetPrivateData per key. The same answer either way.
 */
async function getPrivateMany(ctx, collection, keys) {
    for (const key of keys) {
        check(collection, key);
    }
    if (typeof ctx.stub.getMultiplePrivateData !== 'function') {
        const values = [];
        for (const key of keys) {
            values.push(await getPrivate(ctx, collection, key));
        }
        return values;
    }
    const found = await ask('GetPrivateDataMultiple',
        () => ctx.stub.getMultiplePrivateData(collection, keys));
    return found.map((raw) => (raw && raw.length ? Buffer.from(raw) : null));
}

/** Write `value` under `key` in `collection` (only its hash goes on the channel). */
async function putPrivate(ctx, collection, key, value) {
    check(collection, key);
    if (!value || value.length === 0) {
        throw new ValidationError(
            `value of key ${key} in collection ${collection} must not be empty: ` +
            'fabric treats an empty write as a delete');
    }
    await ask('PutPrivateData', () => ctx.stub.putPrivateData(collection, key, value));
}

/** The SHA-256 (32 raw bytes) of the value of `key` in `collection`, or null. */
async function getPrivateHash(ctx, collection, key) {
    check(collection, key);
    const raw = await ask('GetPrivateDataHash', () => ctx.stub.getPrivateDataHash(collection, key));
    return raw && raw.length ? Buffer.from(raw) : null;
}

/** `[key, bytes]` pairs of `collection` with `startKey <= key < endKey`, in key order. */
async function listPrivate(ctx, collection, startKey, endKey) {
    checkCollection(collection);
    const start = startKey || EMPTY_KEY_SUBSTITUTE;
    for (const bound of [start, endKey]) {
        if (bound.startsWith('\u0000')) {
            throw new ValidationError(
                `range key ${pyRepr(bound)} in collection ${collection} starts with a nul ` +
                'character, which is reserved for composite keys');
        }
    }
    return collect('GetPrivateDataByRange',
        () => ctx.stub.getPrivateDataByRange(collection, start, endKey),
        (_, value) => Buffer.from(value));
}

/** The JSON value of `key` in `collection`, null when absent; bad JSON is a StateError. */
async function getPrivateJson(ctx, collection, key) {
    const raw = await getPrivate(ctx, collection, key);
    return raw === null ? null : decode(`${key} in collection ${collection}`, raw);
}

/** Write `value` under `key` in `collection` as canonical JSON. */
async function putPrivateJson(ctx, collection, key, value) {
    await putPrivate(ctx, collection, key, canonicalBytes(value));
}

module.exports = {
    emitEvent,
    getJson,
    getPrivate,
    getPrivateHash,
    getPrivateJson,
    getPrivateMany,
    listJson,
    listPrivate,
    prefixRange,
    putJson,
    putPrivate,
    putPrivateJson,
    transient,
    txTimestamp,
};
