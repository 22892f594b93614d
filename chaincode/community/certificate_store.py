"""Where the granular certificates live, and how delivered energy carries them.

Everything is in the households collection (the utility's and the community's peers)
under keyed names (:mod:`.keyed`), so no name on the ledger says whose they are:

- ``gcissued~<hmac(certificate id)>``: the certificate as issued (household, hour,
  volume, meters, when, the transaction) with a salt drawn from the channel's key
  salt. Every peer, the regulator's too, keeps the SHA-256 of that value: what an
  audit of the certificate checks a disclosed record against.
- ``gcheld~<hmac(household, hour)>``: what a household holds of the hour's
  certificates, ``{"parts": {certificate id: Wh}, "cancellation": null | {...}}``.
- ``gccarry~<hmac(trade id)>``: what a settled trade carried, written once, so no
  trade carries twice.

A transaction reads the ledger as it was before it began, never its own writes, so a
batch of changes is made on :class:`Holdings` in memory and written once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from chaincode.community.domain import SettledTrade, carried_wh, certificate_id, hour_of
from chaincode.community.keyed import keyed_with
from chaincode.runtime.private import get_private_many, put_private_json
from chaincode.runtime.state import parse_json
from gridspec.collections import HOUSEHOLDS

__all__ = ["ISSUED", "Holdings", "carry_settled", "issued_key", "load_issued", "record_salt"]

ISSUED = "gcissued"


def issued_key(salt: bytes, cert_id: str) -> str:
    return keyed_with(salt, ISSUED, cert_id)


def held_key(salt: bytes, household: str, hour: str) -> str:
    return keyed_with(salt, "gcheld", household, hour)


def carry_key(salt: bytes, trade_id: str) -> str:
    return keyed_with(salt, "gccarry", trade_id)


def record_salt(salt: bytes, *parts: str) -> str:
    """The salt of one record: no one without the key salt can guess it, so the hash of
    the record that every peer keeps cannot be brute-forced (volumes are small numbers)."""
    return hmac.new(salt, "|".join(("gcsalt", *parts)).encode(), hashlib.sha256).hexdigest()


async def load_issued(ctx: Any, salt: bytes, cert_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The issued records among *cert_ids* (absent ones left out)."""
    raws = await get_private_many(ctx, HOUSEHOLDS, [issued_key(salt, c) for c in cert_ids])
    return {
        cert: parse_json("certificate", raw)
        for cert, raw in zip(cert_ids, raws, strict=True)
        if raw is not None
    }


class Holdings:
    """The holdings one transaction reads and changes, written back once."""

    def __init__(self, ctx: Any, salt: bytes) -> None:
        self.ctx = ctx
        self.salt = salt
        self.held: dict[tuple[str, str], dict[str, Any]] = {}
        self.changed: set[tuple[str, str]] = set()
        self.carries: dict[str, dict[str, Any]] = {}

    async def load(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Read the holdings of *pairs* ``(household, hour)`` not read yet."""
        wanted = sorted(set(pairs) - set(self.held))
        raws = await get_private_many(
            self.ctx, HOUSEHOLDS, [held_key(self.salt, h, hour) for h, hour in wanted]
        )
        for (household, hour), raw in zip(wanted, raws, strict=True):
            self.held[household, hour] = (
                parse_json("holding", raw)
                if raw is not None
                else {
                    "household": household,
                    "hour": hour,
                    "parts": {},
                    "cancellation": None,
                    "salt": record_salt(self.salt, "held", household, hour),
                }
            )

    def of(self, household: str, hour: str) -> dict[str, Any]:
        return self.held[household, hour]

    def add(self, household: str, hour: str, cert_id: str, wh: int) -> None:
        """Change what *household* holds of *cert_id* by *wh* (a part of 0 is dropped)."""
        parts = self.held[household, hour]["parts"]
        parts[cert_id] = parts.get(cert_id, 0) + wh
        if parts[cert_id] == 0:
            del parts[cert_id]
        self.changed.add((household, hour))

    def cancelled(self, household: str, hour: str, cancellation: dict[str, Any]) -> None:
        self.held[household, hour]["cancellation"] = cancellation
        self.changed.add((household, hour))

    async def carry(self, trades: Iterable[SettledTrade], issued: set[str]) -> None:
        """Move what each settled trade delivered of its seller's own certificate to its
        buyer, once; a trade whose certificate is not issued yet waits for its issuance."""
        pending = [
            t for t in trades if certificate_id(t.seller, hour_of(t.interval_start)) in issued
        ]
        keys = [carry_key(self.salt, t.trade_id) for t in pending]
        done = await get_private_many(self.ctx, HOUSEHOLDS, keys)
        fresh = [t for t, mark in zip(pending, done, strict=True) if mark is None]
        await self.load(
            (side, hour_of(t.interval_start)) for t in fresh for side in (t.seller, t.buyer)
        )
        for trade in sorted(fresh, key=lambda t: t.trade_id):
            if trade.trade_id in self.carries:
                continue
            hour = hour_of(trade.interval_start)
            own = certificate_id(trade.seller, hour)
            moved = carried_wh(trade, self.of(trade.seller, hour)["parts"].get(own, 0))
            if moved:
                self.add(trade.seller, hour, own, -moved)
                self.add(trade.buyer, hour, own, moved)
            self.carries[trade.trade_id] = {
                "certificate_id": own,
                "wh": moved,
                "salt": record_salt(self.salt, "carry", trade.trade_id),
            }

    async def write(self) -> None:
        for household, hour in sorted(self.changed):
            key = held_key(self.salt, household, hour)
            await put_private_json(self.ctx, HOUSEHOLDS, key, self.held[household, hour])
        for trade_id, carried in sorted(self.carries.items()):
            await put_private_json(self.ctx, HOUSEHOLDS, carry_key(self.salt, trade_id), carried)


async def carry_settled(ctx: Any, salt: bytes, settled: Iterable[SettledTrade]) -> None:
    """Settlement's part: the trades it settled carry their sellers' certificates."""
    trades = [t for t in settled if t.delivered_wh]
    sellers = sorted({certificate_id(t.seller, hour_of(t.interval_start)) for t in trades})
    holdings = Holdings(ctx, salt)
    await holdings.carry(trades, set(await load_issued(ctx, salt, sellers)))
    await holdings.write()
