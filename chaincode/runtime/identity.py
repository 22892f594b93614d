"""Who is calling: MSP id, X.509 certificate, common name and Fabric CA attributes.

The shim's ``ClientIdentity.get_attribute`` never parses the certificate, so its
attributes are always empty. This module reads the creator from the stub
(``{"mspid": ..., "idBytes": <PEM>}``) and decodes the attribute extension that
Fabric CA writes into enrollment certificates: OID 1.2.3.4.5.6.7.8.1, whose value
is the JSON ``{"attrs": {"role": "admin", ...}}``.

Access checks are named helpers that raise :class:`AccessDenied`::

    caller = require_role(ctx, "admin")      # role attribute is one of these
    require_msp(ctx, msp_id)                 # caller belongs to this MSP
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from .errors import AccessDenied, IdentityError

__all__ = [
    "ATTRIBUTES_OID",
    "Caller",
    "caller",
    "fabric_attributes",
    "require_msp",
    "require_role",
    "transaction_name",
]

ATTRIBUTES_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")


@dataclass(frozen=True)
class Caller:
    """The identity that signed the transaction proposal."""

    msp_id: str
    certificate: x509.Certificate
    common_name: str
    attributes: Mapping[str, str]

    @property
    def role(self) -> str | None:
        return self.attributes.get("role")


def caller(ctx: Any) -> Caller:
    """The caller of the current transaction, read from the stub's creator."""
    creator = ctx.get_stub().get_creator() or {}
    msp_id = creator.get("mspid")
    id_bytes = creator.get("idBytes")
    if not msp_id or not id_bytes:
        raise IdentityError("transaction has no creator identity")
    certificate = _load_certificate(id_bytes)
    return Caller(
        msp_id=msp_id,
        certificate=certificate,
        common_name=_common_name(certificate),
        attributes=fabric_attributes(certificate),
    )


def fabric_attributes(certificate: x509.Certificate) -> dict[str, str]:
    """The Fabric CA attributes in *certificate* (empty when it carries none)."""
    try:
        extension = certificate.extensions.get_extension_for_oid(ATTRIBUTES_OID)
    except x509.ExtensionNotFound:
        return {}
    except ValueError as exc:
        raise IdentityError("caller certificate has malformed extensions") from exc
    raw = extension.value.value if isinstance(extension.value, x509.UnrecognizedExtension) else b""
    try:
        attrs = json.loads(raw)["attrs"]
    except (ValueError, KeyError, TypeError) as exc:
        raise IdentityError("caller certificate has a malformed attribute extension") from exc
    if not isinstance(attrs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()
    ):
        raise IdentityError("caller certificate has a malformed attribute extension")
    return attrs


def transaction_name(ctx: Any) -> str:
    """The name of the transaction being run, without its contract prefix."""
    function, _ = ctx.get_stub().get_function_and_parameters()
    return function.rpartition(":")[2]


def require_role(ctx: Any, *roles: str) -> Caller:
    """The caller, if its ``role`` attribute is one of *roles*; else :class:`AccessDenied`."""
    who = caller(ctx)
    if who.role in roles:
        return who
    allowed = ", ".join(roles)
    action = transaction_name(ctx)
    if who.role is None:
        raise AccessDenied(f"caller without a role may not call {action}; allowed: {allowed}")
    raise AccessDenied(f"caller role '{who.role}' may not call {action}; allowed: {allowed}")


def require_msp(ctx: Any, msp_id: str) -> Caller:
    """The caller, if it belongs to *msp_id*, else :class:`AccessDenied`: no org acts as another."""
    who = caller(ctx)
    if who.msp_id != msp_id:
        raise AccessDenied(f"caller from {who.msp_id} may not act for {msp_id}")
    return who


def _load_certificate(id_bytes: bytes | str) -> x509.Certificate:
    data = id_bytes.encode() if isinstance(id_bytes, str) else bytes(id_bytes)
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise IdentityError("caller certificate cannot be parsed") from exc


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return ""
    value = names[0].value
    return value if isinstance(value, str) else value.decode()
