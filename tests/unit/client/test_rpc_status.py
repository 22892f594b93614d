import grpc
import pytest
from client_fakes import rpc_status
from fabric_protos.gateway import gateway_pb2
from google.protobuf import wrappers_pb2

from client._rpc_status import PackedDetail, status_details


def test_decodes_the_details_protobuf_encodes() -> None:
    detail = gateway_pb2.ErrorDetail(address="peer0.org2:9051", msp_id="Org2MSP", message="no")
    other = wrappers_pb2.StringValue(value="x" * 300)  # a long field needs a multi-byte length
    encoded = rpc_status(grpc.StatusCode.ABORTED, "failed to endorse", [detail, other])

    assert status_details(encoded) == [
        PackedDetail("type.googleapis.com/gateway.ErrorDetail", detail.SerializeToString()),
        PackedDetail("type.googleapis.com/google.protobuf.StringValue", other.SerializeToString()),
    ]


def test_a_status_without_details_has_none() -> None:
    assert status_details(rpc_status(grpc.StatusCode.INTERNAL, "boom", [])) == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x1a\x05ab", "runs past the end of the message"),
        (b"\x08\xff", "malformed protobuf varint"),
        (b"\x0b", "unsupported protobuf wire type 3"),
    ],
)
def test_malformed_status_is_an_error(data: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        status_details(data)
