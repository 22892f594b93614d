/*
 * Meters and their readings: the registry in public state, readings in a private
 * collection. A port of `MeterContract` of the Python community chaincode
 * (`chaincode/community/meters.py`) for the transactions the benchmark needs, with the
 * same arguments, keys, stored bytes, events, results and error messages:
 *
 * - RegisterMeter(meter_id, household_id, feeder, device_public_key), operator only;
 *   personal details in transient `household` go to the households collection.
 * - SubmitReadings(), meter head-end only: a signed batch in transient `readings`,
 *   idempotent per meter and interval, conflicting values refused.
 * - GetMeter, GetReadings, GetReadingHash: read-only (evaluate them).
 *
 * Erasure (PurgeHousehold), VerifyReading and consents are not ported: nothing here
 * writes erasure records or consents, but the reads that look for them are kept, so a
 * transaction reads and writes the same keys as the Python one.
 *
 * One difference is the shim's, not the contract's: GridLedger's Python runtime sends a
 * batch's reads in one GET_STATE_MULTIPLE and its writes in WRITE_BATCH_STATE messages
 * (Fabric 3), while fabric-shim (2.5.8, the newest release) has neither, so here every
 * reading costs a GetPrivateData and a PutPrivateData round trip to the peer.
 */
'use strict';

const {Contract} = require('fabric-contract-api');

const {COMMUNITY, UTILITY, authorize, orgKind} = require('./access');
const {HOUSEHOLDS, READINGS} = require('./collections');
const {AccessDenied, Conflict, NotFound, ValidationError} = require('./errors');
const {JSONDecodeError, compareStrings, dumps, loads, pyLen, pyStr} = require('./pyjson');
const {
    IDENTIFIER,
    checkMeterId,
    checkUtc,
    loadDeviceKey,
    parseBatch,
    parseStored,
    readingKey,
    sameValues,
    stored,
    verifyBatch,
} = require('./readings');
const state = require('./state');

const HOUSEHOLD_ID = /^h-[A-Za-z0-9._-]{1,62}$/;
const FEEDER = IDENTIFIER;
const PERSONAL_FIELDS = new Set(['name', 'address', 'email', 'phone']);
const PERSONAL_MAX = 200;
const REGISTRATION_FIELDS = ['meter_id', 'household_id', 'feeder', 'device_public_key'];

const meterKey = (meterId) => `meter~${meterId}`;
const householdMetersPrefix = (householdId) => `hhmeter~${householdId}~`;
const householdKey = (householdId) => `household~${householdId}`;
const erasureKey = (householdId) => `erasure~${householdId}`;
const daysIndexKey = (meterId) => `readingdays~${meterId}`;
const dayIndexKey = (meterId, day) => `readingidx~${meterId}~${day}`;
const evidenceKey = (meterId, intervalStart) => `erased~${meterId}~${intervalStart}`;
const consentPrefix = (householdId) => `consent~${householdId}~`;
const consentIndexKey = (householdId) => `consentidx~${householdId}`;

function checkHouseholdId(householdId) {
    if (!HOUSEHOLD_ID.test(householdId)) {
        throw new ValidationError(
            `household id '${householdId}' is invalid: ` +
            "use h- and up to 62 letters, digits, '.', '_' or '-'");
    }
    return householdId;
}

/** The transaction time in whole seconds since the epoch (`tx_time` of the Python chaincode). */
function txTime(ctx) {
    const seconds = Date.parse(state.txTimestamp(ctx).slice(0, 19) + 'Z') / 1000;
    return seconds;
}

function sortedUnique(values) {
    return [...new Set(values)].sort(compareStrings);
}

function minString(values) {
    return values.reduce((a, b) => (compareStrings(b, a) < 0 ? b : a));
}

function maxString(values) {
    return values.reduce((a, b) => (compareStrings(b, a) > 0 ? b : a));
}

/** The household's personal details from transient `household`, if given. */
function parsePersonal(raw, householdId) {
    if (raw === undefined) {
        return null;
    }
    let details;
    try {
        details = loads(raw);
    } catch (err) {
        if (err instanceof JSONDecodeError) {
            throw new ValidationError("transient 'household' must be a JSON object");
        }
        throw err;
    }
    if (!(details instanceof Map) || details.size === 0) {
        throw new ValidationError("transient 'household' must be a non-empty JSON object");
    }
    const unknown = [...details.keys()].filter((k) => !PERSONAL_FIELDS.has(k)).sort(compareStrings);
    if (unknown.length) {
        throw new ValidationError(
            `household ${householdId}: unknown personal fields ${unknown.join(', ')}`);
    }
    for (const [name, value] of details) {
        if (typeof value !== 'string' || !(pyLen(value) > 0 && pyLen(value) <= PERSONAL_MAX)) {
            throw new ValidationError(
                `household ${householdId}: ${name} must be text of 1 to ${PERSONAL_MAX} characters`);
        }
    }
    return details;
}

function parseRegistration(meterId, householdId, feeder, keyPem) {
    checkMeterId(meterId);
    checkHouseholdId(householdId);
    if (!FEEDER.test(feeder)) {
        throw new ValidationError(`meter ${meterId}: feeder '${feeder}' is invalid`);
    }
    loadDeviceKey(keyPem);
    return {meter_id: meterId, household_id: householdId, feeder, device_public_key: keyPem};
}

function isLive(consent, grantee, start, end, at) {
    return consent.grantee === grantee && consent.revoked_at === null &&
        compareStrings(at, consent.expires_at) < 0 &&
        compareStrings(consent.data_from, start) <= 0 && compareStrings(end, consent.data_to) <= 0;
}

class MeterContract extends Contract {
    constructor() {
        super('MeterContract');
    }

    /** Register a meter (operator only); personal details come in transient `household`. */
    async RegisterMeter(ctx, meterId, householdId, feeder, devicePublicKey) {
        const operator = authorize(ctx);
        const registration = parseRegistration(meterId, householdId, feeder, devicePublicKey);
        const personal = parsePersonal(state.transient(ctx).get('household'), householdId);
        if (await state.getJson(ctx, erasureKey(householdId)) !== null) {
            throw new Conflict(`household ${householdId} was erased and cannot be registered again`);
        }
        let existing = await state.getJson(ctx, meterKey(meterId));
        if (existing !== null) {
            const same = REGISTRATION_FIELDS.every((k) => existing[k] === registration[k]);
            if (!same) {
                throw new Conflict(`meter ${meterId} is already registered`);
            }
        } else {
            const record = {
                ...registration,
                status: 'active',
                registered_at: state.txTimestamp(ctx),
                registered_by: operator.commonName,
                tx_id: ctx.stub.getTxID(),
            };
            await state.putJson(ctx, meterKey(meterId), record);
            await state.putJson(ctx, householdMetersPrefix(householdId) + meterId, {meter_id: meterId});
            existing = record;
        }
        if (personal !== null) {
            await state.putPrivateJson(ctx, HOUSEHOLDS, householdKey(householdId), personal);
        }
        state.emitEvent(ctx, 'MeterRegistered',
            {meter_id: meterId, household_id: householdId, feeder});
        return dumps(existing);
    }

    /** A meter's registry record (read-only). */
    async GetMeter(ctx, meterId) {
        authorize(ctx);
        return dumps(await this._meter(ctx, meterId));
    }

    /** Store a signed batch (meter head-end only); repeats are no-ops, conflicts refused. */
    async SubmitReadings(ctx) {
        const headEnd = authorize(ctx);
        const raw = state.transient(ctx).get('readings');
        if (raw === undefined) {
            throw new ValidationError("readings must be sent in the transient map under 'readings'");
        }
        const batch = parseBatch(raw, txTime(ctx));
        const allowed = headEnd.attributes.meter_ids;
        if (allowed !== undefined && !allowed.split(',').includes(batch.meterId)) {
            throw new AccessDenied(
                `head-end ${headEnd.commonName} does not serve meter ${batch.meterId}`);
        }
        const meter = await this._meter(ctx, batch.meterId);
        if (meter.status !== 'active') {
            throw new ValidationError(`meter ${batch.meterId} is ${pyStr(meter.status)}`);
        }
        verifyBatch(batch, loadDeviceKey(meter.device_public_key));
        const keys = batch.readings.map((r) => readingKey(r.meter_id, r.interval_start));
        const storedBefore = await state.getPrivateMany(ctx, READINGS, keys);
        const fresh = [];
        for (const [n, reading] of batch.readings.entries()) {
            if (await this._store(ctx, reading, keys[n], storedBefore[n])) {
                fresh.push(reading);
            }
        }
        await this._index(ctx, batch.meterId, fresh);
        const starts = batch.readings.map((r) => r.interval_start);
        const summary = {
            meter_id: batch.meterId,
            stored: fresh.length,
            duplicates: batch.readings.length - fresh.length,
            first: minString(starts),
            last: maxString(starts),
        };
        state.emitEvent(ctx, 'ReadingsSubmitted', summary);
        return dumps(summary);
    }

    /** A household's readings in [start, end): to itself, the utility, or with consent (read-only). */
    async GetReadings(ctx, householdId, start, end) {
        const who = authorize(ctx);
        checkHouseholdId(householdId);
        if (checkUtc('end', end).seconds <= checkUtc('start', start).seconds) {
            throw new ValidationError('end must be after start');
        }
        await this._mayRead(ctx, who, householdId, start, end);
        const readings = [];
        for (const meterId of await this._metersOf(ctx, householdId)) {
            const entries = await state.listPrivate(
                ctx, READINGS, readingKey(meterId, start), readingKey(meterId, end));
            readings.push(...entries.map(([, value]) => parseStored(value)));
        }
        readings.sort((a, b) => compareStrings(a.interval_start, b.interval_start) ||
            compareStrings(a.meter_id, b.meter_id));
        return dumps(readings);
    }

    /** The SHA-256 the channel keeps of one reading: any member may ask (read-only). */
    async GetReadingHash(ctx, meterId, intervalStart) {
        authorize(ctx);
        checkMeterId(meterId);
        const onLedger = await this._hash(ctx, meterId, intervalStart);
        return dumps({meter_id: meterId, interval_start: intervalStart, sha256: onLedger});
    }

    async _hash(ctx, meterId, intervalStart) {
        const digest = await state.getPrivateHash(ctx, READINGS, readingKey(meterId, intervalStart));
        if (digest !== null) {
            return digest.toString('hex');
        }
        const evidence = await state.getJson(ctx, evidenceKey(meterId, intervalStart));
        if (evidence === null) {
            throw new NotFound(`no reading of meter ${meterId} at ${intervalStart}`);
        }
        return pyStr(evidence.sha256);
    }

    /** Write a reading not stored yet; a repeat is a no-op, a different value a conflict. */
    async _store(ctx, reading, key, existing) {
        if (existing !== null) {
            if (!sameValues(parseStored(existing), reading)) {
                throw new Conflict(
                    `reading of meter ${reading.meter_id} at ${reading.interval_start} ` +
                    'conflicts with the recorded value');
            }
            return 0;
        }
        await state.putPrivate(ctx, READINGS, key, stored(reading));
        return 1;
    }

    /**
     * Record the new readings' keys per day, in the readings collection itself (private
     * range queries cannot run in a transaction that writes; erasure and billing use
     * these indexes, and the utility's endorsement alone still suffices).
     */
    async _index(ctx, meterId, readings) {
        const days = new Map();
        for (const reading of readings) {
            const day = [...reading.interval_start].slice(0, 10).join('');
            if (!days.has(day)) {
                days.set(day, []);
            }
            days.get(day).push(reading.interval_start);
        }
        const ordered = [...days.keys()].sort(compareStrings);
        for (const day of ordered) {
            const key = dayIndexKey(meterId, day);
            const known = await state.getPrivateJson(ctx, READINGS, key) || [];
            await state.putPrivateJson(ctx, READINGS, key, sortedUnique([...known, ...days.get(day)]));
        }
        if (days.size) {
            const knownDays = await state.getPrivateJson(ctx, READINGS, daysIndexKey(meterId)) || [];
            if (!ordered.every((day) => knownDays.includes(day))) {
                await state.putPrivateJson(
                    ctx, READINGS, daysIndexKey(meterId), sortedUnique([...knownDays, ...ordered]));
            }
        }
    }

    async _meter(ctx, meterId) {
        const record = await state.getJson(ctx, meterKey(checkMeterId(meterId)));
        if (record === null) {
            throw new NotFound(`meter ${meterId} is not registered`);
        }
        return record;
    }

    async _metersOf(ctx, householdId) {
        const entries = await state.listJson(ctx, ...state.prefixRange(householdMetersPrefix(householdId)));
        return entries.map(([, entry]) => entry.meter_id);
    }

    async _mayRead(ctx, who, householdId, start, end) {
        if (who.role === 'household') {
            const own = who.attributes.household_id;
            if (!own) {
                throw new AccessDenied('caller has no household_id attribute');
            }
            if (own !== householdId || orgKind(who.mspId) !== COMMUNITY) {
                throw new AccessDenied(`household ${own} may not read household ${householdId}`);
            }
        } else if (who.role === 'operator' || who.role === 'billing') {
            if (orgKind(who.mspId) !== UTILITY) {
                throw new AccessDenied(`only the utility's ${who.role} may read household ${householdId}`);
            }
        } else {
            await this._requireConsent(ctx, who, householdId, start, end);
        }
    }

    /** Refuse unless `who` holds a live consent of the household covering [start, end). */
    async _requireConsent(ctx, who, householdId, start, end) {
        const grantee = `${who.mspId}:${who.commonName}`;
        const at = state.txTimestamp(ctx).slice(0, 19) + 'Z';
        const ids = await state.getPrivateJson(ctx, HOUSEHOLDS, consentIndexKey(householdId)) || [];
        const consents = [];
        for (const consentId of ids) {
            const consent = await state.getPrivateJson(ctx, HOUSEHOLDS, consentPrefix(householdId) + consentId);
            if (consent !== null) {
                consents.push(consent);
            }
        }
        if (consents.some((consent) => isLive(consent, grantee, start, end, at))) {
            return;
        }
        throw new AccessDenied(
            `no live consent of household ${householdId} lets ${grantee} ` +
            `read readings from ${start} to ${end}`);
    }
}

module.exports = {MeterContract, householdKey, meterKey};
