"""Checking a disclosed reading without the ledger: from a commitment hash or a block file,
as a library call and as `gridledger verify-disclosure`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2

from client.cli import main
from client.disclosures import commitment_in_block, verify_in_block
from gridspec.disclosure import disclose
from gridspec.reading_bundle import ReadingBundle, commitment_key, commitment_of, encode_payload

BUNDLE = ReadingBundle.parse(
    encode_payload("m-7", "2026-03-01", 15, [[slot, 10 * slot, 0] for slot in range(96)])
)
DISCLOSED = disclose([BUNDLE], "2026-03-01T12:00:00Z")
KEY = commitment_key("m-7", "2026-03-01")
ROOTS = BUNDLE.root()


def endorser_transaction(writes: list[tuple[str, bytes]], namespace: str = "community") -> bytes:
    """An endorser transaction whose action writes `writes` to the readings collection:
    the block holds only their hashes."""
    hashed = kv_rwset_pb2.HashedRWSet(
        hashed_writes=[
            kv_rwset_pb2.KVWriteHash(
                key_hash=hashlib.sha256(key.encode()).digest(),
                value_hash=hashlib.sha256(value).digest(),
            )
            for key, value in writes
        ]
    )
    results = rwset_pb2.TxReadWriteSet(
        data_model=rwset_pb2.TxReadWriteSet.DataModel.KV,
        ns_rwset=[
            rwset_pb2.NsReadWriteSet(
                namespace=namespace,
                collection_hashed_rwset=[
                    rwset_pb2.CollectionHashedReadWriteSet(
                        collection_name="readings", hashed_rwset=hashed.SerializeToString()
                    )
                ],
            )
        ],
    )
    action = proposal_pb2.ChaincodeAction(results=results.SerializeToString())
    response = proposal_response_pb2.ProposalResponsePayload(extension=action.SerializeToString())
    action_payload = transaction_pb2.ChaincodeActionPayload(
        action=transaction_pb2.ChaincodeEndorsedAction(
            proposal_response_payload=response.SerializeToString()
        )
    )
    body = transaction_pb2.Transaction(
        actions=[transaction_pb2.TransactionAction(payload=action_payload.SerializeToString())]
    )
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.ENDORSER_TRANSACTION)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()),
        data=body.SerializeToString(),
    )
    return common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()


def block(*transactions: bytes, codes: list[int] | None = None) -> common_pb2.Block:
    filter_ = bytes(codes if codes is not None else [0] * len(transactions))
    return common_pb2.Block(
        header=common_pb2.BlockHeader(number=42),
        data=common_pb2.BlockData(data=list(transactions)),
        metadata=common_pb2.BlockMetadata(metadata=[b"", b"", filter_, b"", b""]),
    )


WRITES = [("meterday~m-7~2026-03-01", b"the signed bundle"), (KEY, ROOTS)]


def test_a_block_that_committed_the_roots_proves_the_disclosure() -> None:
    found = block(endorser_transaction(WRITES))
    assert commitment_in_block(found, "community", KEY) == commitment_of([ROOTS])
    assert verify_in_block(DISCLOSED, found)
    forged = {**DISCLOSED, "reading": {**DISCLOSED["reading"], "import_wh": 1}}
    assert not verify_in_block(forged, found)


@pytest.mark.parametrize(
    "found",
    [
        block(endorser_transaction(WRITES), codes=[11]),  # MVCC_READ_CONFLICT: never committed
        block(endorser_transaction(WRITES, namespace="other")),
        block(endorser_transaction([(KEY, b"\x00" * 32)])),
        block(endorser_transaction([(commitment_key("m-8", "2026-03-01"), ROOTS)])),
        block(),
    ],
    ids=["invalid-transaction", "other-chaincode", "other-roots", "other-meter", "empty"],
)
def test_a_block_that_did_not_commit_them_proves_nothing(found: common_pb2.Block) -> None:
    assert not verify_in_block(DISCLOSED, found)


def test_a_block_no_peer_validated_is_an_error() -> None:
    unvalidated = block(endorser_transaction(WRITES), codes=[])
    with pytest.raises(ValueError, match="1 transactions: it was not validated by a peer"):
        verify_in_block(DISCLOSED, unvalidated)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_cli_verifies_offline_against_a_hash_or_a_block_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    disclosed = tmp_path / "reading.json"
    disclosed.write_text(json.dumps(DISCLOSED))
    saved = tmp_path / "block.pb"
    saved.write_bytes(block(endorser_transaction(WRITES)).SerializeToString())

    status, out, _ = run(capsys, "verify-disclosure", str(disclosed), "--block", str(saved))
    assert (status, json.loads(out)) == (0, {"verified": True, "against": "block 42"})
    hashed = commitment_of([ROOTS])
    status, out, _ = run(capsys, "verify-disclosure", str(disclosed), "--commitment", hashed)
    assert (status, json.loads(out)["verified"]) == (0, True)

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**DISCLOSED, "bundle": 0, "day_roots": ["00" * 32]}))
    status, out, err = run(capsys, "verify-disclosure", str(forged), "--commitment", hashed)
    assert (status, out) == (1, "")
    assert err == f"error: {forged} is NOT proven: it does not match\n"
    status, _, err = run(capsys, "verify-disclosure", str(disclosed))
    assert status == 1
    assert "give --commitment HASH, --block FILE, or --as LABEL" in err
