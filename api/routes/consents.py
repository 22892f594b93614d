"""Consent: a household lets a named identity read its readings, and takes it back."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import Consent, ConsentIn

bp = APIBlueprint("consents", __name__, url_prefix="/consents", tag="Consent")


@bp.post("")
@bp.auth_required(auth)
@bp.input(ConsentIn, arg_name="consent")
@bp.output(Consent, status_code=201)
@bp.doc(summary="Grant a consent (household)")
def grant(consent: dict[str, str]) -> Any:
    return ledger().grant_consent(
        consent["consent_id"],
        consent["grantee"],
        consent["purpose"],
        consent["data_from"],
        consent["data_to"],
        consent["expires_at"],
    )


@bp.delete("/<consent_id>")
@bp.auth_required(auth)
@bp.output(Consent)
@bp.doc(summary="Revoke a consent (household)")
def revoke(consent_id: str) -> Any:
    return ledger().revoke_consent(consent_id)


@bp.get("")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="The caller household's consents")
def mine(paging: dict[str, Any]) -> Any:
    return page_of(ledger().consents(), paging)
