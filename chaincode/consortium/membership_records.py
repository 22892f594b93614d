"""What a channel configuration update decided about an org, as the member registry keeps it.

An org joins or leaves GridLedger by a config update of the channels it is in: an admin
proposes it, the admins the channel's policy names sign it, one of them submits it, and
the orderer cuts a config block. Chaincode reads world state only, never a config block,
so ``RecordOnboarding`` and ``RecordRemoval`` store a member's account of that update,
which the consortium's endorsement policy then vouches for. These records are parsed
here, once, with an exact message for every field, so the registry never holds a record
that names a channel, block, signer or time it could not have meant.

A record is stored as written (timestamps keep their spelling, lists their order), so
the stored copy compares equal to the argument of a retry. Every field is required; the
fields that may be empty say so with ``null`` (or ``[]``), never by being left out.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from chaincode.runtime import ValidationError
from chaincode.runtime.state import parse_json

__all__ = [
    "ONBOARDING_FIELDS",
    "REMOVAL_FIELDS",
    "OnboardingRecord",
    "RemovalRecord",
    "Signature",
    "check_msp_id",
]

MSP_ID = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,63}")
CHANGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
CHANGE_ID_MAX = 128
CHANNEL = re.compile(r"[a-z][a-z0-9.-]{0,248}")  # Fabric's own rule for channel names
UTC_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ENROLLMENT_ID_MAX = 255
SIGNATURE_FIELDS = ("msp_id", "signed_at")
APPROVAL_FIELDS = (
    "change_id",
    "proposed_by",
    "proposed_at",
    "signatures",
    "submitted_by",
    "submitted_at",
)
ONBOARDING_FIELDS = (*APPROVAL_FIELDS, "channel", "config_block", "community_channel")
REMOVAL_FIELDS = (
    *APPROVAL_FIELDS,
    "channels",
    "config_blocks",
    "revoked_identities",
    "crl_block",
)
ONBOARDING = "onboarding record"
REMOVAL = "removal record"


def check_msp_id(msp_id: Any, what: str = "msp id") -> str:
    """An MSP id, the one rule for the registry's arguments and for the records' fields."""
    if not isinstance(msp_id, str) or not MSP_ID.fullmatch(msp_id):
        raise ValidationError(
            f"{what} '{msp_id}' is invalid: use 1-64 letters, digits, '.' or '-', "
            "starting with a letter"
        )
    return msp_id


def check_change_id(what: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > CHANGE_ID_MAX or not CHANGE_ID.fullmatch(value):
        raise ValidationError(
            f"{what} '{value}' is invalid: use 1-{CHANGE_ID_MAX} letters, digits, "
            "'.', '_', ':' or '-', starting with a letter or digit"
        )
    return value


def check_channel(what: str, value: Any) -> str:
    if not isinstance(value, str) or not CHANNEL.fullmatch(value):
        raise ValidationError(
            f"{what} '{value}' is not a channel name: use 1-249 lowercase letters, digits, "
            "'.' or '-', starting with a letter"
        )
    return value


def check_block(what: str, value: Any) -> int:
    """A config block number: a JSON integer from 1 (block 0 is the genesis block)."""
    if type(value) is not int or value < 1:
        raise ValidationError(f"{what} must be an integer of at least 1")
    return value


def check_utc_time(what: str, value: Any) -> str:
    """An ISO-8601 instant in UTC, written with ``Z`` or ``+00:00``; returned as written."""
    if not isinstance(value, str) or not UTC_TIME.fullmatch(value):
        raise ValidationError(f"{what} must be an ISO-8601 time like 2026-11-21T10:00:00+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"{what} {value} is not a valid time") from exc
    if moment.utcoffset() is None:
        raise ValidationError(f"{what} {value} has no time zone: write it in UTC with Z or +00:00")
    if moment.utcoffset():
        raise ValidationError(f"{what} {value} is not in UTC: write it with Z or +00:00")
    return value


def check_enrollment_id(what: str, value: Any) -> str:
    """A Fabric CA enrollment id: free text to the CA, so only its edges are checked."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > ENROLLMENT_ID_MAX
        or value != value.strip()
        or CONTROL.search(value)
    ):
        raise ValidationError(
            f"{what} must be 1-{ENROLLMENT_ID_MAX} characters without control characters "
            "or leading or trailing spaces"
        )
    return value


def json_object(what: str, raw: str) -> dict[str, Any]:
    """*raw* decoded: a JSON object, or ValidationError."""
    data = parse_json(what, raw)
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be a JSON object")
    return data


def require_fields(what: str, data: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """*data*, if it is an object with exactly *fields*: an unknown field is a typo, not an
    extension, and a missing one is never a default."""
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be a JSON object")
    for name in sorted(data):
        if name not in fields:
            raise ValidationError(f"{what} has unknown field '{name}'")
    for name in fields:
        if name not in data:
            raise ValidationError(f"{what} is missing field '{name}'")
    return data


def repeated(values: list[str]) -> str | None:
    """The first value listed twice, or None."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


@dataclass(frozen=True)
class Signature:
    """One org admin's signature on the config update: which MSP signed, and when."""

    msp_id: str
    signed_at: str

    @classmethod
    def parse(cls, what: str, data: Any) -> Signature:
        data = require_fields(what, data, SIGNATURE_FIELDS)
        return cls(
            msp_id=check_msp_id(data["msp_id"], f"{what}.msp_id"),
            signed_at=check_utc_time(f"{what}.signed_at", data["signed_at"]),
        )


def parse_signatures(what: str, value: Any) -> tuple[Signature, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationError(f"{what} signatures must be a non-empty list")
    signatures = tuple(
        Signature.parse(f"{what} signatures[{index}]", item) for index, item in enumerate(value)
    )
    twice = repeated([s.msp_id for s in signatures])
    if twice is not None:
        raise ValidationError(f"{what} lists MSP {twice}'s signature twice")
    return signatures


def parse_approval(what: str, data: dict[str, Any]) -> dict[str, Any]:
    """The fields every config update has: who proposed, signed and submitted it, when."""
    return {
        "change_id": check_change_id(f"{what} change_id", data["change_id"]),
        "proposed_by": check_msp_id(data["proposed_by"], f"{what} proposed_by"),
        "proposed_at": check_utc_time(f"{what} proposed_at", data["proposed_at"]),
        "signatures": parse_signatures(what, data["signatures"]),
        "submitted_by": check_msp_id(data["submitted_by"], f"{what} submitted_by"),
        "submitted_at": check_utc_time(f"{what} submitted_at", data["submitted_at"]),
    }


@dataclass(frozen=True)
class OnboardingRecord:
    """The validated ``record`` of ``RecordOnboarding``: the config update of ``channel``
    (in block ``config_block``) that admitted the org, and the community channel created
    with it, if any."""

    change_id: str
    proposed_by: str
    proposed_at: str
    signatures: tuple[Signature, ...]
    submitted_by: str
    submitted_at: str
    channel: str
    config_block: int
    community_channel: str | None

    @classmethod
    def parse(cls, raw: str) -> OnboardingRecord:
        data = require_fields(ONBOARDING, json_object(ONBOARDING, raw), ONBOARDING_FIELDS)
        community = data["community_channel"]
        return cls(
            **parse_approval(ONBOARDING, data),
            channel=check_channel(f"{ONBOARDING} channel", data["channel"]),
            config_block=check_block(f"{ONBOARDING} config_block", data["config_block"]),
            community_channel=None
            if community is None
            else check_channel(f"{ONBOARDING} community_channel", community),
        )

    def record(self) -> dict[str, Any]:
        """As stored: plain JSON values under the canonical field names."""
        return {**asdict(self), "signatures": [asdict(s) for s in self.signatures]}


@dataclass(frozen=True)
class RemovalRecord:
    """The validated ``record`` of ``RecordRemoval``: the config updates that removed the
    org from ``channels`` (in the block ``config_blocks`` names for each), the identities
    its removal revoked and the config block that published the new CRL, if any."""

    change_id: str
    proposed_by: str
    proposed_at: str
    signatures: tuple[Signature, ...]
    submitted_by: str
    submitted_at: str
    channels: tuple[str, ...]
    config_blocks: tuple[tuple[str, int], ...]
    revoked_identities: tuple[str, ...]
    crl_block: int | None

    @classmethod
    def parse(cls, raw: str) -> RemovalRecord:
        data = require_fields(REMOVAL, json_object(REMOVAL, raw), REMOVAL_FIELDS)
        channels = parse_channels(data["channels"])
        crl_block = data["crl_block"]
        return cls(
            **parse_approval(REMOVAL, data),
            channels=channels,
            config_blocks=parse_config_blocks(channels, data["config_blocks"]),
            revoked_identities=parse_revoked(data["revoked_identities"]),
            crl_block=None if crl_block is None else check_block(f"{REMOVAL} crl_block", crl_block),
        )

    def record(self) -> dict[str, Any]:
        """As stored: plain JSON values under the canonical field names."""
        return {
            **asdict(self),
            "signatures": [asdict(s) for s in self.signatures],
            "channels": list(self.channels),
            "config_blocks": dict(self.config_blocks),
            "revoked_identities": list(self.revoked_identities),
        }


def parse_channels(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationError(f"{REMOVAL} channels must be a non-empty list of channel names")
    channels = [check_channel(f"{REMOVAL} channels[{i}]", name) for i, name in enumerate(value)]
    twice = repeated(channels)
    if twice is not None:
        raise ValidationError(f"{REMOVAL} lists channel {twice} twice")
    return tuple(channels)


def parse_config_blocks(channels: tuple[str, ...], value: Any) -> tuple[tuple[str, int], ...]:
    """Each channel's config block, in the order of *channels*, which the keys must equal."""
    if not isinstance(value, dict) or set(value) != set(channels):
        raise ValidationError(
            f"{REMOVAL} config_blocks must map exactly the channels {', '.join(channels)} "
            "to their config blocks"
        )
    return tuple(
        (name, check_block(f"{REMOVAL} config_blocks[{name}]", value[name])) for name in channels
    )


def parse_revoked(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValidationError(f"{REMOVAL} revoked_identities must be a list of enrollment ids")
    revoked = [
        check_enrollment_id(f"{REMOVAL} revoked_identities[{i}]", item)
        for i, item in enumerate(value)
    ]
    twice = repeated(revoked)
    if twice is not None:
        raise ValidationError(f"{REMOVAL} lists revoked identity {twice} twice")
    return tuple(revoked)
