/*
 * The private data collections of a community channel this chaincode writes to
 * (`chaincode/community/collections.py`); their configuration comes with the chaincode
 * definition (`network/chaincodes.py`), the same as the Python chaincode's.
 */
'use strict';

module.exports = {
    READINGS: 'readings',
    HOUSEHOLDS: 'households',
};
