"""Fabric's generated protobuf modules, seen by the type checker as `Any`.

`hyperledger-fabric-protos` ships a `py.typed` marker but no `.pyi` stubs, so mypy reads
the generated `*_pb2.py` files, where message classes are created at import time and
are invisible to it ("Module has no attribute ..."). Importing them here, once, and
re-exporting them as `Any` keeps every other module strictly typed. Four packages each
have a `configuration_pb2`; `configuration_pb2` is common's, the others are prefixed
with their package (`orderer_`, `etcdraft_`, `peer_`). `DecodeError` is
protobuf's parse failure; protobuf 5 ships no type information (`types-protobuf` is not
a dependency).
"""

from typing import Any

from fabric_protos.common import common_pb2 as _common_pb2
from fabric_protos.common import configtx_pb2 as _configtx_pb2
from fabric_protos.common import configuration_pb2 as _configuration_pb2
from fabric_protos.common import policies_pb2 as _policies_pb2
from fabric_protos.gateway import gateway_pb2 as _gateway_pb2
from fabric_protos.gateway import gateway_pb2_grpc as _gateway_pb2_grpc
from fabric_protos.ledger.rwset import rwset_pb2 as _rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2 as _kv_rwset_pb2
from fabric_protos.msp import identities_pb2 as _identities_pb2
from fabric_protos.msp import msp_config_pb2 as _msp_config_pb2
from fabric_protos.msp import msp_principal_pb2 as _msp_principal_pb2
from fabric_protos.orderer import ab_pb2 as _ab_pb2
from fabric_protos.orderer import ab_pb2_grpc as _ab_pb2_grpc
from fabric_protos.orderer import configuration_pb2 as _orderer_configuration_pb2
from fabric_protos.orderer.etcdraft import configuration_pb2 as _etcdraft_configuration_pb2
from fabric_protos.peer import chaincode_pb2 as _chaincode_pb2
from fabric_protos.peer import configuration_pb2 as _peer_configuration_pb2
from fabric_protos.peer import events_pb2 as _events_pb2
from fabric_protos.peer import events_pb2_grpc as _events_pb2_grpc
from fabric_protos.peer import proposal_pb2 as _proposal_pb2
from fabric_protos.peer import proposal_response_pb2 as _proposal_response_pb2
from fabric_protos.peer import transaction_pb2 as _transaction_pb2
from google.protobuf.message import DecodeError  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "DecodeError",
    "ab_pb2",
    "ab_pb2_grpc",
    "chaincode_pb2",
    "common_pb2",
    "configtx_pb2",
    "configuration_pb2",
    "etcdraft_configuration_pb2",
    "events_pb2",
    "events_pb2_grpc",
    "gateway_pb2",
    "gateway_pb2_grpc",
    "identities_pb2",
    "kv_rwset_pb2",
    "msp_config_pb2",
    "msp_principal_pb2",
    "orderer_configuration_pb2",
    "peer_configuration_pb2",
    "policies_pb2",
    "proposal_pb2",
    "proposal_response_pb2",
    "rwset_pb2",
    "transaction_pb2",
]

ab_pb2: Any = _ab_pb2
ab_pb2_grpc: Any = _ab_pb2_grpc
chaincode_pb2: Any = _chaincode_pb2
common_pb2: Any = _common_pb2
configtx_pb2: Any = _configtx_pb2
configuration_pb2: Any = _configuration_pb2
etcdraft_configuration_pb2: Any = _etcdraft_configuration_pb2
events_pb2: Any = _events_pb2
events_pb2_grpc: Any = _events_pb2_grpc
gateway_pb2: Any = _gateway_pb2
gateway_pb2_grpc: Any = _gateway_pb2_grpc
identities_pb2: Any = _identities_pb2
kv_rwset_pb2: Any = _kv_rwset_pb2
msp_config_pb2: Any = _msp_config_pb2
msp_principal_pb2: Any = _msp_principal_pb2
orderer_configuration_pb2: Any = _orderer_configuration_pb2
peer_configuration_pb2: Any = _peer_configuration_pb2
policies_pb2: Any = _policies_pb2
proposal_pb2: Any = _proposal_pb2
proposal_response_pb2: Any = _proposal_response_pb2
rwset_pb2: Any = _rwset_pb2
transaction_pb2: Any = _transaction_pb2
