"""A channel's audit from its blocks: is the chain intact, how did its configuration change,
and who wrote a key.

Everything here works on `common.Block` messages already fetched (`fetch_channel` pulls a
whole channel from a peer through `deliver_blocks`), so an auditor can check blocks from
any peer, or from a copy, the same way:

- `verify_chain(blocks)` recomputes each block's data hash (SHA-256 of its transactions'
  bytes, one after the other: Fabric's `protoutil.ComputeBlockDataHash`) and each
  header's hash (SHA-256 of the DER encoding of ``SEQUENCE { INTEGER number, OCTET
  STRING previous_hash, OCTET STRING data_hash }``: `protoutil.BlockHeaderBytes`), and
  checks every block against its header and the next block's `previous_hash`. The
  report names the first break. The newest header's hash (`head_hash`) is anchored in
  nothing later: compare it across peers to pin the whole chain.
- `config_history(blocks)` lists every configuration block: when, which orgs signed the
  config update, the member orgs after it, and each group, value and policy of the
  configuration tree that was added, removed or modified.
- `key_history(blocks, namespace, key)` lists every valid transaction that wrote a public
  key: block, transaction id, time, the submitter's MSP id and certificate CN, and the
  value written (or the delete). Transactions the peer marked invalid (the block's
  TRANSACTIONS_FILTER metadata) wrote nothing and are skipped.

What the chain records, and so what an audit can see: every submitted transaction that
was ordered, valid or not, with its submitter, its time and its writes. A consent grant or
revocation IS on chain: `GrantConsent` / `RevokeConsent` are transactions, so the block
holds the household's identity, the time, the event naming the consent id and the salted
hashes of the consent record; the record itself (grantee, period, purpose) is private
data of the households collection, on the utility's and the community's peers only, and
`key_history` (public keys) does not list it. Reads themselves are not on chain: an
evaluation is answered by one peer and no orderer sees it. That is why anyone but the
household who reads a household's readings, a disclosure or an invoice first submits
`RecordAccess` (`client/accesses.py`), and the read is refused without that record: the
block holds the reader, the time and a public record `access~<recorded_at>~<tx_id>`
(reader's MSP id and role, the kind of data; no household), and `key_history` lists it;
what was read of whom is private data of the households collection. Other reads
(`GetMember`, a household's own readings) leave no block. Readings themselves are private
data: a block holds only the salted hashes of their keys and values. Fetching blocks for
an audit is a read too and leaves no trace on chain.

A block that cannot be decoded is an error (`ValueError`, naming the block and
transaction), never a silently skipped entry.

The long form of `fetch_channel(channel, identity, sign, name)` is
`deliver_blocks(channel, identity, sign, name, 0, newest_block_number(channel, identity,
sign, name))`.
"""

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from cryptography import x509

from . import signing
from ._decoding import decode as _decode
from ._decoding import last_config_index as _last_config_index
from ._decoding import payload as _payload
from ._protos import (
    ab_pb2,
    common_pb2,
    configtx_pb2,
    events_pb2_grpc,
    identities_pb2,
    kv_rwset_pb2,
    msp_config_pb2,
    proposal_pb2,
    proposal_response_pb2,
    rwset_pb2,
    transaction_pb2,
)
from .deliver import _status_name, deliver_blocks
from .errors import DeliverError, translate_rpc_errors
from .identity import Identity, Sign
from .proposal import new_header

__all__ = [
    "ChainBreak",
    "ChainReport",
    "ConfigChange",
    "ConfigDelta",
    "KeyWrite",
    "block_data_hash",
    "block_header_hash",
    "config_changes",
    "config_history",
    "fetch_channel",
    "key_history",
    "newest_block_number",
    "verify_chain",
]

_TRANSACTIONS_FILTER = 2  # common.BlockMetadataIndex.TRANSACTIONS_FILTER
_CONFIG = 1  # common.HeaderType.CONFIG
_ENDORSER_TRANSACTION = 3  # common.HeaderType.ENDORSER_TRANSACTION
_VALID = 0  # protos.TxValidationCode.VALID
_ROOT = "Channel"


# -- the chain ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain first fails: the block, the check, and the two values (hex or number).

    `check` is ``number`` (the block is not the one after the previous), ``previous_hash``
    (its `previous_hash` is not the hash of the previous block's header) or ``data_hash``
    (its header's `data_hash` is not the hash of its data).
    """

    block_number: int
    check: str
    expected: str
    found: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of `verify_chain`: `ok` when no check failed, else the first break."""

    ok: bool
    blocks_checked: int
    first_block: int | None
    last_block: int | None
    head_hash: str | None
    first_break: ChainBreak | None


def block_header_hash(header: Any) -> bytes:
    """SHA-256 of a `common.BlockHeader`'s ASN.1 DER encoding, as Fabric hashes headers."""
    encoded = _der(
        0x30,
        _der_integer(int(header.number))
        + _der(0x04, bytes(header.previous_hash))
        + _der(0x04, bytes(header.data_hash)),
    )
    return hashlib.sha256(encoded).digest()


def block_data_hash(data: Any) -> bytes:
    """SHA-256 of a `common.BlockData`'s entries, concatenated in order."""
    return hashlib.sha256(b"".join(bytes(entry) for entry in data.data)).digest()


def verify_chain(blocks: Sequence[Any]) -> ChainReport:
    """Check `blocks` (consecutive `common.Block`s, oldest first) and report the first break.

    For each block: its number follows the previous block's, its `previous_hash` is the
    hash of the previous block's header (not checked for the first block given) and its
    header's `data_hash` is the hash of its data.
    """
    first_break: ChainBreak | None = None
    checked = 0
    previous: Any = None
    for block in blocks:
        checked += 1
        first_break = _link_break(previous, block) or _data_break(block)
        if first_break is not None:
            break
        previous = block
    return ChainReport(
        ok=first_break is None,
        blocks_checked=checked,
        first_block=int(blocks[0].header.number) if blocks else None,
        last_block=int(blocks[-1].header.number) if blocks else None,
        head_hash=block_header_hash(blocks[-1].header).hex() if blocks else None,
        first_break=first_break,
    )


def _link_break(previous: Any, block: Any) -> ChainBreak | None:
    if previous is None:
        return None
    number = int(block.header.number)
    expected_number = int(previous.header.number) + 1
    if number != expected_number:
        return ChainBreak(number, "number", str(expected_number), str(number))
    expected = block_header_hash(previous.header)
    found = bytes(block.header.previous_hash)
    if found != expected:
        return ChainBreak(number, "previous_hash", expected.hex(), found.hex())
    return None


def _data_break(block: Any) -> ChainBreak | None:
    expected = block_data_hash(block.data)
    found = bytes(block.header.data_hash)
    if found != expected:
        return ChainBreak(int(block.header.number), "data_hash", expected.hex(), found.hex())
    return None


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV: the tag, the definite length (short or long form), the content."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_integer(value: int) -> bytes:
    """A non-negative INTEGER in the fewest two's-complement bytes (a 0x00 before a high bit)."""
    if value < 0:
        raise ValueError(f"block number {value} is negative")
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


# -- the configuration ------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigDelta:
    """One element of the configuration tree that changed.

    `path` is the element's place in the tree, e.g.
    ``Channel/Application/CommunityMSP/AnchorPeers``; `element` is ``group``, ``value``
    or ``policy``; `change` is ``added``, ``removed`` or ``modified``. An added or removed
    group is listed with everything under it; a group is modified when its own
    modification policy changed (its members are listed on their own).
    """

    path: str
    element: str
    change: str


@dataclass(frozen=True)
class ConfigChange:
    """One configuration block: when, who signed the update, the member orgs and what changed.

    `signers` are the MSP ids of the signatures on the config update, in order, each once
    (none for a genesis block, which no update made); `orgs` the MSP ids of the
    application orgs in the configuration the block sets; `changes` its difference from
    the previous configuration block of the blocks given (for the first, everything is
    added).
    """

    block_number: int
    timestamp: str
    sequence: int
    signers: tuple[str, ...]
    orgs: tuple[str, ...]
    changes: tuple[ConfigDelta, ...]


def config_history(blocks: Iterable[Any]) -> list[ConfigChange]:
    """Every configuration block of `blocks` (block 0, and each block carrying a CONFIG
    transaction or whose last-config index is itself), oldest first."""
    history: list[ConfigChange] = []
    previous: Any = None
    for block in blocks:
        number = int(block.header.number)
        if not _is_config_block(block):
            continue
        if len(block.data.data) != 1:
            raise ValueError(
                f"config block {number} holds {len(block.data.data)} transactions, not 1"
            )
        payload, channel_header = _payload(block.data.data[0], number, 0)
        if int(channel_header.type) != _CONFIG:
            raise ValueError(
                f"config block {number} holds a transaction of type {channel_header.type}, "
                f"not CONFIG"
            )
        envelope = _decode(configtx_pb2.ConfigEnvelope, payload.data, f"config of block {number}")
        config = envelope.config
        history.append(
            ConfigChange(
                block_number=number,
                timestamp=_timestamp(channel_header),
                sequence=int(config.sequence),
                signers=_update_signers(envelope, number),
                orgs=_application_orgs(config, number),
                changes=tuple(
                    _diff_group(
                        _ROOT,
                        previous.channel_group if previous is not None else None,
                        config.channel_group,
                    )
                ),
            )
        )
        previous = config
    return history


def _is_config_block(block: Any) -> bool:
    number = int(block.header.number)
    if number == 0:
        return True
    if _last_config_index(block) == number:
        return True
    if len(block.data.data) != 1:
        return False
    _, channel_header = _payload(block.data.data[0], number, 0)
    return int(channel_header.type) == _CONFIG


def _update_signers(envelope: Any, number: int) -> tuple[str, ...]:
    if not envelope.HasField("last_update"):
        return ()
    what = f"config update of block {number}"
    payload = _decode(common_pb2.Payload, envelope.last_update.payload, what)
    update = _decode(configtx_pb2.ConfigUpdateEnvelope, payload.data, what)
    signers: list[str] = []
    for signature in update.signatures:
        header = _decode(common_pb2.SignatureHeader, signature.signature_header, what)
        msp_id = _creator(header.creator, what).mspid
        if msp_id not in signers:
            signers.append(msp_id)
    return tuple(signers)


def _application_orgs(config: Any, number: int) -> tuple[str, ...]:
    groups = config.channel_group.groups
    if "Application" not in groups:
        return ()
    orgs: list[str] = []
    for name, group in groups["Application"].groups.items():
        if "MSP" not in group.values:
            orgs.append(name)
            continue
        what = f"MSP of {name} in the config of block {number}"
        msp = _decode(msp_config_pb2.MSPConfig, group.values["MSP"].value, what)
        fabric = _decode(msp_config_pb2.FabricMSPConfig, msp.config, what)
        orgs.append(fabric.name or name)
    return tuple(sorted(orgs))


def config_changes(old: Any, new: Any) -> tuple[ConfigDelta, ...]:
    """What changes from one `common.Config` to another: for a reviewer of an update."""
    return tuple(_diff_group(_ROOT, old.channel_group, new.channel_group))


def _diff_group(path: str, old: Any, new: Any) -> Iterator[ConfigDelta]:
    """The changes from group `old` to group `new` (either may be None), in tree order."""
    if old is None:
        yield from _subtree(path, new, "added")
        return
    if new is None:
        yield from _subtree(path, old, "removed")
        return
    if old.mod_policy != new.mod_policy:
        yield ConfigDelta(path, "group", "modified")
    for name in sorted(set(old.values) | set(new.values)):
        before = old.values.get(name)
        after = new.values.get(name)
        change = _element_change(before, after, lambda v: (bytes(v.value), v.mod_policy))
        if change:
            yield ConfigDelta(f"{path}/{name}", "value", change)
    for name in sorted(set(old.policies) | set(new.policies)):
        before = old.policies.get(name)
        after = new.policies.get(name)
        change = _element_change(before, after, lambda p: (p.policy, p.mod_policy))
        if change:
            yield ConfigDelta(f"{path}/{name}", "policy", change)
    for name in sorted(set(old.groups) | set(new.groups)):
        yield from _diff_group(f"{path}/{name}", old.groups.get(name), new.groups.get(name))


def _element_change(before: Any, after: Any, content: Any) -> str | None:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    return "modified" if content(before) != content(after) else None


def _subtree(path: str, group: Any, change: str) -> Iterator[ConfigDelta]:
    yield ConfigDelta(path, "group", change)
    for name in sorted(group.values):
        yield ConfigDelta(f"{path}/{name}", "value", change)
    for name in sorted(group.policies):
        yield ConfigDelta(f"{path}/{name}", "policy", change)
    for name in sorted(group.groups):
        yield from _subtree(f"{path}/{name}", group.groups[name], change)


# -- a key's writes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyWrite:
    """One valid transaction's write of a key: where, when, by whom, and what it wrote.

    `value` is empty when `is_delete`. `creator_common_name` is the CN of the submitter's
    certificate (empty when the certificate has none).
    """

    block_number: int
    transaction_index: int
    transaction_id: str
    timestamp: str
    creator_msp_id: str
    creator_common_name: str
    value: bytes
    is_delete: bool


def key_history(blocks: Iterable[Any], namespace: str, key: str) -> list[KeyWrite]:
    """Every write of public `key` of chaincode `namespace` by a valid transaction, oldest
    first (block order, then order within the block)."""
    history: list[KeyWrite] = []
    for block in blocks:
        number = int(block.header.number)
        validity = validation_codes(block)
        for index, data in enumerate(block.data.data):
            if validity[index] != _VALID:
                continue
            payload, channel_header = _payload(data, number, index)
            if int(channel_header.type) != _ENDORSER_TRANSACTION:
                continue
            where = f"transaction {index} of block {number}"
            for write in _writes(payload, namespace, key, where):
                header = _decode(common_pb2.SignatureHeader, payload.header.signature_header, where)
                creator = _creator(header.creator, where)
                history.append(
                    KeyWrite(
                        block_number=number,
                        transaction_index=index,
                        transaction_id=str(channel_header.tx_id),
                        timestamp=_timestamp(channel_header),
                        creator_msp_id=str(creator.mspid),
                        creator_common_name=_common_name(bytes(creator.id_bytes), where),
                        value=b"" if write.is_delete else bytes(write.value),
                        is_delete=bool(write.is_delete),
                    )
                )
    return history


def validation_codes(block: Any) -> bytes:
    """Each transaction's validation code (0 is VALID), as the committing peer set them."""
    number = int(block.header.number)
    metadata = block.metadata.metadata
    codes = bytes(metadata[_TRANSACTIONS_FILTER]) if len(metadata) > _TRANSACTIONS_FILTER else b""
    if len(codes) != len(block.data.data):
        raise ValueError(
            f"block {number} has {len(codes)} validation codes for "
            f"{len(block.data.data)} transactions: it was not validated by a peer"
        )
    return codes


def _writes(payload: Any, namespace: str, key: str, where: str) -> Iterator[Any]:
    """The KVWrites of `key` in `namespace` in every action of an endorser transaction."""
    transaction = _decode(transaction_pb2.Transaction, payload.data, where)
    for action in transaction.actions:
        action_payload = _decode(transaction_pb2.ChaincodeActionPayload, action.payload, where)
        response = _decode(
            proposal_response_pb2.ProposalResponsePayload,
            action_payload.action.proposal_response_payload,
            where,
        )
        chaincode_action = _decode(proposal_pb2.ChaincodeAction, response.extension, where)
        results = _decode(rwset_pb2.TxReadWriteSet, chaincode_action.results, where)
        for namespace_set in results.ns_rwset:
            if namespace_set.namespace != namespace:
                continue
            kv_set = _decode(kv_rwset_pb2.KVRWSet, namespace_set.rwset, where)
            yield from (write for write in kv_set.writes if write.key == key)


def _common_name(certificate_pem: bytes, where: str) -> str:
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError as exc:
        raise ValueError(f"the creator of {where} has no PEM X.509 certificate") from exc
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _creator(serialized: bytes, what: str) -> Any:
    return _decode(identities_pb2.SerializedIdentity, serialized, f"the creator of {what}")


def _timestamp(channel_header: Any) -> str:
    """RFC 3339 UTC, as the chaincode's `tx_timestamp` writes the same instant."""
    return str(channel_header.timestamp.ToJsonString())


# -- fetching ---------------------------------------------------------------------------------


def newest_block_number(
    channel: grpc.Channel,
    identity: Identity,
    sign: Sign,
    channel_name: str,
    *,
    tls_certificate_hash: bytes = b"",
    timeout: float = 30,
) -> int:
    """The number of the newest block the peer at the end of `channel` has committed.

    A deliver request from SeekNewest to SeekNewest: the peer sends that one block and
    SUCCESS. Raises DeliverError as `deliver_blocks` does.
    """
    _, header = new_header(
        common_pb2.HeaderType.DELIVER_SEEK_INFO,
        channel_name,
        identity.serialize(),
        tls_certificate_hash=tls_certificate_hash,
    )
    newest = ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())
    seek_info = ab_pb2.SeekInfo(
        start=newest, stop=newest, behavior=ab_pb2.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY
    )
    payload: bytes = common_pb2.Payload(
        header=header, data=seek_info.SerializeToString()
    ).SerializeToString()
    envelope = common_pb2.Envelope(payload=payload, signature=sign(signing.digest(payload)))
    what = f"the newest block of channel {channel_name}"
    with translate_rpc_errors(DeliverError, None):
        responses = events_pb2_grpc.DeliverStub(channel).Deliver(iter([envelope]), timeout=timeout)
        try:
            return _newest_number(responses, what)
        finally:
            responses.cancel()


def _newest_number(responses: Iterable[Any], what: str) -> int:
    numbers: list[int] = []
    for response in responses:
        kind = response.WhichOneof("Type")
        if kind == "block":
            numbers.append(int(response.block.header.number))
            continue
        if kind != "status":
            raise DeliverError(f"{what}: the peer sent a {kind} instead of a block")
        status = int(response.status)
        if status != common_pb2.Status.SUCCESS:
            raise DeliverError(
                f"{what}: the peer answered with status {status} ({_status_name(status)})",
                status=status,
            )
        if len(numbers) != 1:
            raise DeliverError(f"{what}: the peer sent {len(numbers)} blocks, not 1", status=status)
        return numbers[0]
    raise DeliverError(f"{what}: the stream ended without a status")


def fetch_channel(
    channel: grpc.Channel,
    identity: Identity,
    sign: Sign,
    channel_name: str,
    *,
    stop: int | None = None,
    tls_certificate_hash: bytes = b"",
    timeout: float = 120,
) -> list[Any]:
    """Every block of `channel_name`, from 0 to `stop` (waited for if not committed yet) or,
    without `stop`, to the newest block the peer has now.

    Same as `deliver_blocks(channel, identity, sign, channel_name, 0, stop or
    newest_block_number(...), tls_certificate_hash=..., timeout=...)`.
    """
    if stop is None:
        stop = newest_block_number(
            channel,
            identity,
            sign,
            channel_name,
            tls_certificate_hash=tls_certificate_hash,
            timeout=timeout,
        )
    return deliver_blocks(
        channel,
        identity,
        sign,
        channel_name,
        0,
        stop,
        tls_certificate_hash=tls_certificate_hash,
        timeout=timeout,
    )
