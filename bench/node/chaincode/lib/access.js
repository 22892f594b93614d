/*
 * GridLedger's role table for the transactions this chaincode has, and the check that
 * refuses the running transaction's caller (`chaincode/roles.py`, `chaincode/access.py`).
 *
 * A rule names the roles (the `role` attribute Fabric CA put in the caller's
 * certificate; empty = any role) and the kinds of org the caller must belong to: the
 * utility is UtilityMSP, the regulator RegulatorMSP, and the community any other member.
 */
'use strict';

const {AccessDenied} = require('./errors');
const {caller, transactionName} = require('./identity');

const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

const UTILITY = 'utility';
const COMMUNITY = 'community';
const REGULATOR = 'regulator';
const ALL_ORGS = [UTILITY, COMMUNITY, REGULATOR];
const MSP_KINDS = {UtilityMSP: UTILITY, RegulatorMSP: REGULATOR};

const OPERATOR = {roles: ['operator'], orgs: [UTILITY]};
const ANYONE = {roles: [], orgs: ALL_ORGS};

const RULES = {
    RegisterMeter: OPERATOR,
    SubmitReadings: {roles: ['meter'], orgs: [UTILITY]},
    GetReadings: {roles: ['household', 'operator', 'billing', 'third_party'], orgs: ALL_ORGS},
    GetReadingHash: ANYONE,
    GetMeter: ANYONE,
};

function orgKind(mspId) {
    return hasOwn(MSP_KINDS, mspId) ? MSP_KINDS[mspId] : COMMUNITY;
}

/** Why a caller may not call `transaction`, or null when the table allows it. */
function refusal(transaction, mspId, role) {
    if (!hasOwn(RULES, transaction)) {
        return `${transaction} has no access rule; refusing by default`;
    }
    const rule = RULES[transaction];
    const kind = orgKind(mspId);
    if (!rule.orgs.includes(kind)) {
        return `caller from ${mspId} (${kind}) may not call ${transaction}; allowed: ${rule.orgs.join(', ')}`;
    }
    if (rule.roles.length && !rule.roles.includes(role)) {
        const who = role ? `role '${role}'` : 'without a role';
        return `caller ${who} may not call ${transaction}; allowed: ${rule.roles.join(', ')}`;
    }
    return null;
}

/** The caller, if the role table allows it the running transaction; else AccessDenied. */
function authorize(ctx) {
    const name = transactionName(ctx);
    if (!hasOwn(RULES, name)) {
        throw new AccessDenied(`${name} has no access rule; refusing by default`);
    }
    const who = caller(ctx);
    const reason = refusal(name, who.mspId, who.role);
    if (reason !== null) {
        throw new AccessDenied(reason);
    }
    return who;
}

module.exports = {COMMUNITY, REGULATOR, RULES, UTILITY, authorize, orgKind, refusal};
