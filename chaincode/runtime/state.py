"""Deterministic world-state access: canonical JSON, transaction time, events.

Every endorsing peer must produce byte-identical results, so values are written
as canonical JSON (sorted keys, compact separators, no NaN), the only clock is
the transaction timestamp chosen by the client, and absent keys read as ``None``
while a value that does not decode is an error, never ``None``.

JSON a client sends (an argument, a transient value) is decoded by :func:`parse_json`,
which refuses what canonical JSON could not write back (NaN, infinities) and what the
decoder cannot read (too many digits, too deep) with a ``ValidationError``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from .errors import StateError, ValidationError

__all__ = [
    "canonical_bytes",
    "canonical_json",
    "emit_event",
    "get_json",
    "list_json",
    "parse_json",
    "prefix_range",
    "put_json",
    "tx_timestamp",
]


# where an unpaired surrogate may hide: an escape of one (a pair decodes to one
# character), in text a surrogate itself, in bytes one encoded in UTF-8 (json.loads
# decodes bytes with surrogatepass)
_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _may_hold_a_surrogate(raw: str | bytes) -> bool:
    """Whether *raw* has a place a surrogate may hide; the substring tests are the fast path."""
    if isinstance(raw, bytes):
        return (b"\\u" in raw or b"\xed" in raw) and _SURROGATE_BYTES.search(raw) is not None
    return ("\\u" in raw or not raw.isascii()) and _SURROGATE_TEXT.search(raw) is not None


class _NotFinite(ValueError):
    """A JSON number canonical JSON cannot write back; its text is the message."""


def _finite_float(text: str) -> float:
    value = float(text)  # a number beyond the float range, like 1e400, reads as inf
    if not math.isfinite(value):
        raise _NotFinite(text if len(text) <= 24 else f"{text[:20]}...")
    return value


def _not_a_number(text: str) -> float:
    raise _NotFinite(text)  # NaN, Infinity, -Infinity: JavaScript's, not JSON's


def parse_json(what: str, raw: str | bytes, shape: str = "object") -> Any:
    """The JSON value a client sent as *raw* (text, or UTF-8 bytes), or ValidationError.

    Every argument and transient value that carries JSON is decoded here, so every
    parser refuses the same inputs with the same messages, *what* naming the value:

    - ``{what} must be a JSON object`` for text or bytes that are not JSON (*shape*
      names what the caller expects, an object unless it says ``list``; it says so
      again when the value is not one);
    - ``{what} holds NaN: numbers must be finite`` (likewise ``Infinity`` and a number
      beyond the float range like ``1e400``): canonical JSON could not write it back;
    - ``{what} holds a number of more than 4300 digits``: more than ``int()`` reads;
    - ``{what} is nested too deeply``: the decoder ran out of recursion;
    - ``{what} holds the unpaired surrogate U+D800: text must be valid unicode``: it
      has no UTF-8 encoding, so it could not be stored.
    """
    try:
        value = json.loads(raw, parse_float=_finite_float, parse_constant=_not_a_number)
    except _NotFinite as exc:
        raise ValidationError(f"{what} holds {exc}: numbers must be finite") from None
    except RecursionError:
        raise ValidationError(f"{what} is nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{what} must be a JSON {shape}") from exc
    except ValueError as exc:  # the only other one: int() refuses that many digits
        raise ValidationError(
            f"{what} holds a number of more than {sys.get_int_max_str_digits()} digits"
        ) from exc
    if _may_hold_a_surrogate(raw):
        try:
            canonical_bytes(value)
        except UnicodeEncodeError as exc:
            surrogate = f"U+{ord(exc.object[exc.start]):04X}"
            raise ValidationError(
                f"{what} holds the unpaired surrogate {surrogate}: text must be valid unicode"
            ) from None
    return value


def canonical_json(value: Any) -> str:
    """*value* as canonical JSON text: sorted keys, compact separators, UTF-8 kept."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def tx_timestamp(ctx: Any) -> str:
    """The transaction timestamp as ISO-8601 UTC (RFC 3339, e.g. ``2026-03-01T09:30:00Z``)."""
    timestamp = ctx.get_stub().get_tx_timestamp()
    if timestamp is None or not timestamp.seconds:
        raise StateError("transaction has no timestamp")
    return str(timestamp.ToJsonString())


async def get_json(ctx: Any, key: str) -> Any | None:
    """The JSON value stored under *key*, or ``None`` when the key is absent."""
    raw = await ctx.get_stub().get_state(key)
    if not raw:
        return None
    return _decode(key, raw)


async def put_json(ctx: Any, key: str, value: Any) -> None:
    """Store *value* under *key* as canonical JSON."""
    await ctx.get_stub().put_state(key, canonical_bytes(value))


async def list_json(ctx: Any, start_key: str, end_key: str) -> list[tuple[str, Any]]:
    """``(key, value)`` pairs with ``start_key <= key < end_key``, in key order."""
    iterator = await ctx.get_stub().get_state_by_range(start_key, end_key)
    entries = [(kv.key, _decode(kv.key, kv.value)) async for kv in iterator]
    return sorted(entries, key=lambda entry: entry[0])


def prefix_range(prefix: str) -> tuple[str, str]:
    """The ``(start, end)`` range of every simple key starting with *prefix*."""
    if not prefix:
        raise ValueError("prefix must not be empty")
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def emit_event(ctx: Any, name: str, payload: Any) -> None:
    """Set the transaction's chaincode event; Fabric keeps one per transaction, the last set."""
    ctx.get_stub().set_event(name, canonical_bytes(payload))


def _decode(key: str, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise StateError(f"state at key {key} is not valid json") from exc
