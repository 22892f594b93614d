/*
 * Who is calling: MSP id, X.509 certificate, common name and Fabric CA attributes
 * (`chaincode/runtime/identity.py`). The attributes are those Fabric CA wrote into the
 * enrolment certificate (extension 1.2.3.4.5.6.7.8.1, `{"attrs": {...}}`), as
 * fabric-shim's ClientIdentity decoded them for this transaction.
 */
'use strict';

const {X509Certificate} = require('node:crypto');

const {IdentityError} = require('./errors');

const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

function unescapeName(value) {
    return value.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, code) =>
        code.length === 2 ? String.fromCharCode(parseInt(code, 16)) : code);
}

function commonName(certificate) {
    const line = certificate.subject.split('\n').find((part) => part.startsWith('CN='));
    return line === undefined ? '' : unescapeName(line.slice(3));
}

function attributesOf(ctx) {
    const attrs = ctx.clientIdentity ? ctx.clientIdentity.attrs : {};
    const valid = attrs !== null && typeof attrs === 'object' && !Array.isArray(attrs) &&
        Object.values(attrs).every((v) => typeof v === 'string');
    if (!valid) {
        throw new IdentityError('caller certificate has a malformed attribute extension');
    }
    return attrs;
}

/** The caller of the running transaction: `{mspId, commonName, attributes, role}`. */
function caller(ctx) {
    const creator = ctx.stub.getCreator() || {};
    const mspId = creator.mspid;
    const idBytes = creator.idBytes;
    if (!mspId || !idBytes || idBytes.length === 0) {
        throw new IdentityError('transaction has no creator identity');
    }
    let certificate;
    try {
        certificate = new X509Certificate(Buffer.from(idBytes));
    } catch {
        throw new IdentityError('caller certificate cannot be parsed');
    }
    const attributes = attributesOf(ctx);
    return {
        mspId,
        commonName: commonName(certificate),
        attributes,
        role: hasOwn(attributes, 'role') ? attributes.role : null,
    };
}

/** The name of the transaction being run, without its contract prefix. */
function transactionName(ctx) {
    const {fcn} = ctx.stub.getFunctionAndParameters();
    return fcn.slice(fcn.lastIndexOf(':') + 1);
}

module.exports = {caller, transactionName};
