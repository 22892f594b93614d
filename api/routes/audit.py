"""The regulator's audit of a channel, from the blocks of the caller's own org's peer.

Every call fetches the channel's blocks (0 to the newest) through the peer's Deliver
service, signed with the caller's own key, and checks them with `client.audit`: the
chain's hashes, the configuration history, the writes of one public key. Only callers
with the role ``regulator`` may audit. Auditing reads blocks and writes nothing, so it
leaves no trace on the ledger.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from apiflask import APIBlueprint, abort
from flask import g

from api.auth import auth
from api.ledger import access, ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import ChainVerification, KeyQuery
from client import (
    DeliverError,
    KeyWrite,
    certificate_hash,
    config_history,
    fetch_channel,
    key_history,
    verify_chain,
)
from gridspec.roles import REGULATOR, org_kind

bp = APIBlueprint("audit", __name__, url_prefix="/audit", tag="Audit")

AUDITOR_ROLE = "regulator"
NOT_FOUND, FORBIDDEN = 404, 403  # common.Status of a deliver request


def regulator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) every caller but a regulator of the regulator's org."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        caller = ledger().caller
        if caller.role != AUDITOR_ROLE:
            abort(
                403,
                f"caller role '{caller.role}' may not audit channels; allowed: {AUDITOR_ROLE}",
            )
        if org_kind(caller.msp_id) != REGULATOR:
            abort(403, f"caller from {caller.msp_id} may not audit channels; allowed: regulator")
        return view(*args, **kwargs)

    return checked


def blocks_of(channel: str) -> list[Any]:
    """Every block of `channel`, from the caller's org's peer, requested as the caller.

    The API's channel to its peer authenticates with the API's own TLS certificate (see
    `LedgerAccess.connection`), and the peer binds a deliver request to that TLS session.
    """
    here = access()
    entry = here.wallet.get(g.user.label)
    try:
        return fetch_channel(
            here.channel(),
            entry.identity(),
            entry.signer(),
            channel,
            tls_certificate_hash=certificate_hash(here.tls_cert),
            timeout=here.timeout * 4,
        )
    except DeliverError as exc:
        if exc.status == NOT_FOUND:
            abort(404, f"channel {channel[:64]} does not exist on the {here.msp_id} peer")
        if exc.status == FORBIDDEN:
            abort(403, f"{entry.msp_id} may not read the blocks of channel {channel}")
        raise


def key_write(write: KeyWrite) -> dict[str, Any]:
    """A write as JSON: the value as text when it is UTF-8, and always as base64."""
    try:
        text: str | None = None if write.is_delete else write.value.decode()
    except UnicodeDecodeError:
        text = None
    item = asdict(write)
    item["value"] = text
    item["value_base64"] = base64.b64encode(write.value).decode()
    return item


@bp.get("/channels/<channel>/verification")
@bp.auth_required(auth)
@bp.output(ChainVerification)
@bp.doc(summary="Recompute every block's hashes and report the first break (regulator)")
@regulator_required
def verification(channel: str) -> Any:
    return {"channel": channel, **asdict(verify_chain(blocks_of(channel)))}


@bp.get("/channels/<channel>/config-history")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="Every configuration block: signers, member orgs, what changed (regulator)")
@regulator_required
def configuration(channel: str, paging: dict[str, Any]) -> Any:
    return page_of([asdict(change) for change in config_history(blocks_of(channel))], paging)


@bp.get("/channels/<channel>/keys")
@bp.auth_required(auth)
@bp.input(KeyQuery, location="query", arg_name="query")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="Every valid write of a public key: when, by whom, what (regulator)")
@regulator_required
def key(channel: str, query: dict[str, str], paging: dict[str, Any]) -> Any:
    writes = key_history(blocks_of(channel), query["namespace"], query["key"])
    return page_of([key_write(write) for write in writes], paging)
