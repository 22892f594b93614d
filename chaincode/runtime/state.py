"""Deterministic world-state access: canonical JSON, transaction time, events.

Every endorsing peer must produce byte-identical results, so values are written
as canonical JSON (sorted keys, compact separators, no NaN), the only clock is
the transaction timestamp chosen by the client, and absent keys read as ``None``
while a value that does not decode is an error, never ``None``.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import StateError

__all__ = [
    "canonical_bytes",
    "canonical_json",
    "emit_event",
    "get_json",
    "list_json",
    "prefix_range",
    "put_json",
    "tx_timestamp",
]


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
    except (UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"state at key {key} is not valid json") from exc
