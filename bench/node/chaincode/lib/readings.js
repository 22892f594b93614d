/*
 * Signed batches of interval readings: the format a meter's head-end submits, and its
 * checks (`chaincode/community/readings.py`, rule for rule and message for message).
 *
 * A batch travels in the transaction's transient map (key `readings`). The meter's
 * device key signs the canonical JSON of `{"meter_id", "readings", "salt"}` (ECDSA
 * P-256 over SHA-256, DER); the chaincode checks that signature against the public
 * key the operator registered for the meter. A stored reading is the canonical JSON
 * of `{meter_id, interval_start, interval_minutes, import_wh, export_wh, salt}`, so
 * anyone holding a disclosed reading can recompute the hash the channel keeps of it.
 *
 * Times are checked the way Python's `datetime.strptime` reads them, Unicode digits
 * included, and compared as whole seconds since the epoch.
 */
'use strict';

const crypto = require('node:crypto');

const {AccessDenied, ValidationError} = require('./errors');
const {JSONDecodeError, canonicalBytes, compareStrings, isInt, loads, pyStr} = require('./pyjson');

const INTERVAL_MINUTES = [5, 15, 30, 60];
const DEFAULT_INTERVAL_MINUTES = 15;
const MAX_BATCH = 96 * 7;
const MAX_POWER_W = 200000;
const D = '\\p{Nd}'; // Python's \d in a str pattern: any Unicode decimal digit
const TIME = new RegExp(`^${D}{4}-${D}${D}-${D}${D}T${D}${D}:${D}${D}:00Z$`, 'u');
const UTC_TEXT = new RegExp(`^${D}{4}-${D}${D}-${D}${D}T${D}${D}:${D}${D}:${D}${D}Z$`, 'u');
// the groups `time.strptime` matches for %Y-%m-%dT%H:%M:%SZ
const STRPTIME = new RegExp(
    `^(${D}${D}${D}${D})-(1[0-2]|0[1-9]|[1-9])-(3[0-1]|[1-2]${D}|0[1-9]|[1-9]| [1-9])` +
    `T(2[0-3]|[0-1]${D}|${D}):([0-5]${D}|${D}):(6[0-1]|[0-5]${D}|${D})Z$`, 'iu');
const IS_DIGIT = new RegExp(`^${D}$`, 'u');
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const READING_FIELDS = new Set(['interval_start', 'interval_minutes', 'import_wh', 'export_wh']);
const BATCH_FIELDS = new Set(['meter_id', 'readings', 'salt', 'signature']);
const SALT = /^[A-Za-z0-9_-]{22,86}$/;
const LAST_SECOND = 253402300799; // 9999-12-31T23:59:59Z, the end of Python's datetime

function readingKey(meterId, intervalStart) {
    return `reading~${meterId}~${intervalStart}`;
}

function digitValue(ch) {
    const cp = ch.codePointAt(0);
    if (cp >= 0x30 && cp <= 0x39) {
        return cp - 0x30;
    }
    // decimal digits come in runs of ten, zero first: count back to the run's start
    let first = cp;
    while (IS_DIGIT.test(String.fromCodePoint(first - 1))) {
        first--;
    }
    return (cp - first) % 10;
}

function number(digits) {
    return [...digits].reduce((n, ch) => n * 10 + digitValue(ch.trim() || '0'), 0);
}

function daysIn(year, month) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** `datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")` as {seconds, hour, minute}, or null. */
function strptime(text) {
    const m = STRPTIME.exec(text);
    if (!m) {
        return null;
    }
    const [year, month, day, hour, minute, second] = m.slice(1).map(number);
    if (year < 1 || day < 1 || day > daysIn(year, month) || second > 59) {
        return null;
    }
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    return {seconds: date.getTime() / 1000, hour, minute};
}

/** `value` as a UTC instant, or ValidationError naming `field` (a bad date included). */
function checkUtc(field, value, example = '2026-03-01T00:00:00Z') {
    const message = `${field} must be a UTC time like ${example}`;
    if (typeof value !== 'string' || !UTC_TEXT.test(value)) {
        throw new ValidationError(message);
    }
    const parsed = strptime(value);
    if (parsed === null) {
        throw new ValidationError(message);
    }
    return parsed;
}

function checkMeterId(meterId) {
    if (!IDENTIFIER.test(meterId)) {
        throw new ValidationError(
            `meter id '${meterId}' is invalid: use 1-64 letters, digits, '.', '_' or '-'`);
    }
    return meterId;
}

function field(record, name, otherwise = null) {
    return record.has(name) ? record.get(name) : otherwise;
}

/** One metered interval, validated against the transaction time `now` (epoch seconds). */
function parseReading(meterId, raw, now, salt) {
    if (!(raw instanceof Map)) {
        throw new ValidationError(`readings of meter ${meterId}: each reading must be an object`);
    }
    const unknown = [...raw.keys()].filter((k) => !READING_FIELDS.has(k)).sort(compareStrings);
    if (unknown.length) {
        throw new ValidationError(`readings of meter ${meterId}: unknown fields ${unknown.join(', ')}`);
    }
    const start = field(raw, 'interval_start');
    const where = `reading of meter ${meterId} at ${pyStr(start)}`;
    const startField = `reading of meter ${meterId}: interval_start`;
    if (typeof start !== 'string' || !TIME.test(start)) {
        throw new ValidationError(`${startField} must be a UTC time like 2026-03-01T09:15:00Z`);
    }
    const begins = checkUtc(startField, start, '2026-03-01T09:15:00Z');
    const minutes = field(raw, 'interval_minutes', DEFAULT_INTERVAL_MINUTES);
    if (typeof minutes !== 'number' || !INTERVAL_MINUTES.includes(minutes)) {
        throw new ValidationError(
            `${where}: interval_minutes must be one of ${INTERVAL_MINUTES.join(', ')}`);
    }
    if ((begins.hour * 60 + begins.minute) % minutes) {
        throw new ValidationError(`${where}: interval is not aligned to ${minutes} minutes`);
    }
    const ends = begins.seconds + minutes * 60;
    if (ends > LAST_SECOND) {
        throw new Error('date value out of range'); // Python's OverflowError
    }
    if (ends > now) {
        throw new ValidationError(`${where}: interval has not ended yet`);
    }
    const limit = Math.floor(MAX_POWER_W * minutes / 60);
    for (const name of ['import_wh', 'export_wh']) {
        const value = field(raw, name);
        if (!isInt(value) || !(value >= 0 && value <= limit)) {
            throw new ValidationError(`${where}: ${name} must be an integer from 0 to ${limit}`);
        }
    }
    return {
        meter_id: meterId,
        interval_start: start,
        interval_minutes: minutes,
        import_wh: Number(raw.get('import_wh')),
        export_wh: Number(raw.get('export_wh')),
        salt,
    };
}

/** Equal but for the salt: a resubmitted reading, not a conflicting one. */
function sameValues(a, b) {
    return a.interval_minutes === b.interval_minutes && a.import_wh === b.import_wh &&
        a.export_wh === b.export_wh;
}

/** The bytes kept in the private collection (and hashed on every peer). */
function stored(reading) {
    return canonicalBytes(reading);
}

function readingHash(reading) {
    return crypto.createHash('sha256').update(stored(reading)).digest('hex');
}

/** A reading as kept in the collection (written by this chaincode, so trusted). */
function parseStored(raw) {
    return JSON.parse(Buffer.from(raw).toString('utf8'));
}

/** `base64.b64decode(text, validate=True)` (CPython's strict mode), or null if refused. */
function strictBase64(text) {
    if (!/^[\x00-\x7f]*$/.test(text)) {
        return null;
    }
    let quad = 0;
    let pads = 0;
    let padding = false;
    let done = false;
    for (let i = 0; i < text.length && !done; i++) {
        const c = text[i];
        if (c === '=') {
            padding = true;
            if (i === 0) {
                return null;
            }
            if (quad >= 2 && quad + ++pads >= 4) {
                if (i + 1 < text.length) {
                    return null;
                }
                done = true;
            }
            continue;
        }
        if (!/[A-Za-z0-9+/]/.test(c) || padding) {
            return null;
        }
        pads = 0;
        quad = (quad + 1) & 3;
    }
    if (!done && quad !== 0) {
        return null;
    }
    return Buffer.from(text, 'base64');
}

function sameSet(keys, expected) {
    return keys.length === expected.size && keys.every((k) => expected.has(k));
}

/** A meter's signed batch `{meterId, readings, signature, signed}`, validated against `now`. */
function parseBatch(raw, now) {
    let data;
    try {
        data = loads(raw);
    } catch (err) {
        if (err instanceof JSONDecodeError) {
            throw new ValidationError("transient 'readings' must be a JSON object");
        }
        throw err;
    }
    if (!(data instanceof Map) || !sameSet([...data.keys()], BATCH_FIELDS)) {
        throw new ValidationError(
            "transient 'readings' must be an object with meter_id, readings, salt and signature");
    }
    const meterId = checkMeterId(pyStr(data.get('meter_id')));
    const salt = data.get('salt');
    if (typeof salt !== 'string' || !SALT.test(salt)) {
        throw new ValidationError(
            `readings of meter ${meterId}: salt must be 16 to 64 random bytes in base64url`);
    }
    const items = data.get('readings');
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH) {
        throw new ValidationError(
            `readings of meter ${meterId}: a batch holds 1 to ${MAX_BATCH} readings`);
    }
    const readings = items.map((item) => parseReading(meterId, item, now, salt));
    const starts = new Set(readings.map((r) => r.interval_start));
    if (starts.size !== readings.length) {
        throw new ValidationError(`readings of meter ${meterId}: an interval appears twice`);
    }
    const signature = strictBase64(pyStr(data.get('signature')));
    if (signature === null) {
        throw new ValidationError(`readings of meter ${meterId}: signature is not base64`);
    }
    const signed = canonicalBytes(new Map([['meter_id', meterId], ['readings', items], ['salt', salt]]));
    return {meterId, readings, signature, signed};
}

/** AccessDenied unless the batch's signature verifies with the meter's device key. */
function verifyBatch(batch, deviceKey) {
    let valid = false;
    try {
        valid = crypto.verify('sha256', batch.signed, {key: deviceKey, dsaEncoding: 'der'},
            batch.signature);
    } catch {
        valid = false;
    }
    if (!valid) {
        throw new AccessDenied(
            `readings of meter ${batch.meterId}: signature does not verify ` +
            "with the meter's device key");
    }
}

/** A meter's registered device public key (PEM, ECDSA P-256) as a KeyObject. */
function loadDeviceKey(pem) {
    // Node would also take a certificate or a private key here; Python only a public key
    if (typeof pem !== 'string' || !/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
        throw new ValidationError('device public key must be a PEM public key');
    }
    let key;
    try {
        key = crypto.createPublicKey({key: pem, format: 'pem'});
    } catch {
        throw new ValidationError('device public key must be a PEM public key');
    }
    const details = key.asymmetricKeyDetails || {};
    if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
        throw new ValidationError('device public key must be an ECDSA P-256 key');
    }
    return key;
}

module.exports = {
    IDENTIFIER,
    checkMeterId,
    checkUtc,
    loadDeviceKey,
    parseBatch,
    parseStored,
    readingHash,
    readingKey,
    sameValues,
    stored,
    strictBase64,
    strptime,
    verifyBatch,
};
