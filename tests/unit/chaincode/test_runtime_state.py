import asyncio

import pytest
from ccfakes import Ctx, FakeStub
from google.protobuf.timestamp_pb2 import Timestamp

from chaincode.runtime.errors import StateError
from chaincode.runtime.state import (
    canonical_bytes,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    tx_timestamp,
)


def test_canonical_json_sorts_keys_compactly_and_keeps_utf8():
    value = {"b": 1, "a": [1, {"d": None, "c": True}], "é": "ü"}

    assert canonical_json(value) == '{"a":[1,{"c":true,"d":null}],"b":1,"é":"ü"}'
    assert canonical_bytes(value) == '{"a":[1,{"c":true,"d":null}],"b":1,"é":"ü"}'.encode()


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


@pytest.mark.parametrize(
    ("seconds", "nanos", "text"),
    [
        (1772357400, 0, "2026-03-01T09:30:00Z"),
        (1772357400, 500_000_000, "2026-03-01T09:30:00.500Z"),
        (1772357400, 123_456_789, "2026-03-01T09:30:00.123456789Z"),
    ],
)
def test_tx_timestamp_is_iso_8601_utc(seconds, nanos, text):
    stub = FakeStub({})
    stub._timestamp = Timestamp(seconds=seconds, nanos=nanos)

    assert tx_timestamp(Ctx(stub)) == text


def test_missing_tx_timestamp_is_an_error():
    stub = FakeStub({})
    stub._timestamp = None

    with pytest.raises(StateError, match=r"^transaction has no timestamp$"):
        tx_timestamp(Ctx(stub))


def test_get_json_absent_key_is_none_and_present_key_decodes():
    ctx = Ctx(FakeStub({"a": b'{"x":1}'}))

    assert asyncio.run(get_json(ctx, "missing")) is None
    assert asyncio.run(get_json(ctx, "a")) == {"x": 1}


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe"])
def test_get_json_decode_failure_is_an_error_not_none(raw):
    ctx = Ctx(FakeStub({"k": raw}))

    with pytest.raises(StateError) as error:
        asyncio.run(get_json(ctx, "k"))

    assert str(error.value) == "state at key k is not valid json"


def test_put_json_writes_canonical_bytes():
    stub = FakeStub({})

    asyncio.run(put_json(Ctx(stub), "k", {"b": 2, "a": 1}))

    assert stub.writes == {"k": b'{"a":1,"b":2}'}


def test_list_json_returns_decoded_pairs_in_key_order():
    state = {"m~b": b"2", "m~a": b"1", "n": b"3", "m": b"0"}

    assert asyncio.run(list_json(Ctx(FakeStub(state)), *prefix_range("m~"))) == [
        ("m~a", 1),
        ("m~b", 2),
    ]


def test_prefix_range_covers_exactly_the_prefix():
    assert prefix_range("member~") == ("member~", "member\x7f")
    with pytest.raises(ValueError):
        prefix_range("")


def test_emit_event_sets_canonical_payload():
    stub = FakeStub({})

    emit_event(Ctx(stub), "MemberRegistered", {"b": 1, "a": 2})

    assert stub.events == [("MemberRegistered", b'{"a":2,"b":1}')]
