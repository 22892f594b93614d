/*
 * The errors the chaincode raises on purpose, each with its response status.
 *
 * Their messages are what the client sees, word for word the Python chaincode's
 * (`chaincode/runtime/errors.py`). fabric-contract-api answers every thrown error
 * with status 500; `withStatus` (used by server.js) gives the response the status of
 * the error the transaction raised, as the Python server's handler does, so a
 * client maps 400 / 403 / 404 / 409 the same way whichever chaincode answered:
 *
 *     ChaincodeError (500)
 *     ├── ValidationError (400)  an argument is malformed
 *     ├── AccessDenied (403)     the caller's role or org may not do this
 *     ├── NotFound (404)         the record does not exist
 *     ├── Conflict (409)         the record exists with other values
 *     ├── IdentityError (401)    the caller's identity cannot be read
 *     ├── StateError (500)       a stored value cannot be decoded
 *     └── PeerError (502)        the peer answered a ledger request with ERROR
 */
'use strict';

const {AsyncLocalStorage} = require('node:async_hooks');

// The last error raised in the running transaction: each transaction runs in its own
// store, so it holds only its own error.
const LAST_ERROR = new AsyncLocalStorage();

class ChaincodeError extends Error {
    constructor(message) {
        super(message);
        this.name = new.target.name;
        const store = LAST_ERROR.getStore();
        if (store) {
            store.error = this;
        }
    }

    get status() {
        return 500;
    }
}

class ValidationError extends ChaincodeError {
    get status() {
        return 400;
    }
}

class AccessDenied extends ChaincodeError {
    get status() {
        return 403;
    }
}

class NotFound extends ChaincodeError {
    get status() {
        return 404;
    }
}

class Conflict extends ChaincodeError {
    get status() {
        return 409;
    }
}

class IdentityError extends ChaincodeError {
    get status() {
        return 401;
    }
}

class StateError extends ChaincodeError {}

class PeerError extends ChaincodeError {
    get status() {
        return 502;
    }
}

const ERROR_STATUS = 500;

/**
 * `chaincode` (Init/Invoke) whose error responses carry the status of the error the
 * transaction raised, when the response's message is that error's.
 */
function withStatus(chaincode) {
    async function run(method, stub) {
        const store = {error: null};
        const response = await LAST_ERROR.run(store, () => chaincode[method](stub));
        const error = store.error;
        if (error && response && response.status === ERROR_STATUS && response.message === error.message) {
            response.status = error.status;
        }
        return response;
    }
    return {
        Init: (stub) => run('Init', stub),
        Invoke: (stub) => run('Invoke', stub),
    };
}

module.exports = {
    AccessDenied,
    ChaincodeError,
    Conflict,
    IdentityError,
    NotFound,
    PeerError,
    StateError,
    ValidationError,
    withStatus,
};
