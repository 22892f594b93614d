"""A household's consents: who may read its readings, until when, and who did read them.

Granting and revoking are the household's own transactions (`GrantConsent`,
`RevokeConsent`), checked by the same schema as ``POST /communities/<c>/consents``;
the access records listed are the household's own (`ListAccesses`): every read of its
data by anyone else, with the consent that allowed it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.dashboard.energy import format_day
from api.dashboard.session import check_csrf, loaded, own_household, page
from api.ledger import ledger
from api.routes.schemas import ConsentIn
from gridspec.readings import format_instant

RECORDS_DAYS = 30


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/consents", "consents", page(consents))
    bp.add_url_rule("/consents", "grant", page(grant), methods=["POST"])
    bp.add_url_rule("/consents/<consent_id>/revocation", "revoke", page(revoke), methods=["POST"])


def consents() -> Any:
    household = own_household()
    now = datetime.now(UTC)
    since = now - timedelta(days=RECORDS_DAYS)
    granted = sorted(ledger().consents(), key=lambda c: c["granted_at"], reverse=True)
    records = ledger().accesses(household, format_instant(since), format_instant(now))
    return render_template(
        "dashboard/consents.html",
        household=household,
        consents=granted,
        records=records,
        days=RECORDS_DAYS,
        now=format_instant(now),
        today=now.date(),
    )


def midnight(text: str) -> str:
    """A form's YYYY-MM-DD as the UTC midnight the ledger takes."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(400, f"{text[:32]!r} is not a date: give it as YYYY-MM-DD")
    return format_day(day)


def grant() -> Any:
    check_csrf()
    own_household()
    form = request.form
    consent = {
        "consent_id": f"c-{secrets.token_hex(6)}",
        "grantee": form.get("grantee", "").strip(),
        "purpose": form.get("purpose", "").strip(),
        "data_from": midnight(form.get("data_from", "")),
        "data_to": midnight(form.get("data_to", "")),
        "expires_at": midnight(form.get("expires_at", "")),
    }
    checked = loaded(ConsentIn(), consent)
    made = ledger().grant_consent(
        checked["consent_id"],
        checked["grantee"],
        checked["purpose"],
        checked["data_from"],
        checked["data_to"],
        checked["expires_at"],
    )
    flash(f"Consent {made['consent_id']} granted to {made['grantee']}.")
    return redirect(url_for("dashboard.consents"))


def revoke(consent_id: str) -> Any:
    check_csrf()
    own_household()
    made = ledger().revoke_consent(consent_id)
    flash(f"Consent {made['consent_id']} of {made['grantee']} revoked.")
    return redirect(url_for("dashboard.consents"))
