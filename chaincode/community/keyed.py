"""Private-data key names that link to no household: keyed with the channel's own salt.

Fabric writes the SHA-256 of every private key name into the block and into every
peer's hashed state, the regulator's included. A name like ``consent~h-001~c-1`` is
easy to guess, so its hash would tell anyone with a block that household h-001 granted
a consent, placed an order in an interval, or was invoiced for a period. Names of
records that say who did what are therefore ``<kind>~HMAC-SHA256(salt, parts)``: the
salt is 32 random bytes that only the members of the private collections hold (in the
households collection), so without it no one can compute, or test a guess against, a
name's hash.

The salt is set once per channel, by a member's admin, right after the chaincode is
committed (``python -m network deploy --commit`` does it): a chaincode cannot draw
random bytes itself, so they come in the transient map, from the admin's machine.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.runtime import Conflict, ValidationError, canonical_json, emit_event
from chaincode.runtime.private import get_private, put_private, transient
from gridspec.collections import HOUSEHOLDS

__all__ = ["KeySaltContract", "key_salt", "keyed_name", "keyed_with"]

SALT_KEY = "keysalt"
SALT_BYTES = 32


async def key_salt(ctx: Any) -> bytes:
    """The channel's key salt; read it once when a transaction names many records."""
    salt = await get_private(ctx, HOUSEHOLDS, SALT_KEY)
    if salt is None:
        raise ValidationError(
            "the channel's key salt is not set: a member's admin sets it once, after the "
            "chaincode is committed (python -m network deploy --commit does; "
            "--key-salt sets it on a channel committed before)"
        )
    return salt


def keyed_with(salt: bytes, kind: str, *parts: str) -> str:
    """The private key name of a *kind* record identified by *parts*, under *salt*."""
    digest = hmac.new(salt, "|".join(parts).encode(), hashlib.sha256).hexdigest()
    return f"{kind}~{digest}"


async def keyed_name(ctx: Any, kind: str, *parts: str) -> str:
    """The private key name of a *kind* record identified by *parts*."""
    return keyed_with(await key_salt(ctx), kind, *parts)


class KeySaltContract(Contract):
    """The channel's key salt, set once."""

    Name = "KeySaltContract"

    async def SetKeySalt(self, ctx: TransactionContext) -> str:
        """Set the salt (32 random bytes in transient ``salt``); the same again is a no-op."""
        admin = authorize(ctx)
        salt = transient(ctx).get("salt")
        if salt is None or len(salt) != SALT_BYTES:
            raise ValidationError(
                f"the key salt must be {SALT_BYTES} random bytes in transient 'salt'"
            )
        existing = await get_private(ctx, HOUSEHOLDS, SALT_KEY)
        if existing is not None and existing != salt:
            raise Conflict("the channel's key salt is already set: it never changes")
        if existing is None:
            await put_private(ctx, HOUSEHOLDS, SALT_KEY, salt)
            emit_event(ctx, "KeySaltSet", {"set_by": admin.msp_id})
        return canonical_json({"set": True})
