//go:build tools

// Package tools pins the Fabric CA commands GridLedger runs. `python -m network install`
// builds them from this module so that go.sum verifies every dependency.
package tools

import (
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-client"
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-server"
)
