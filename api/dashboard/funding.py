"""Shared grid infrastructure funded by pledges, for households: every campaign with its
progress, the household's own pledges, and a pledge form for the open ones.

Campaigns and their totals are public on the consortium channel (`ListCampaigns`); a
household sees its own pledges only (`ListMyPledges`). A pledge form carries a pledge
id drawn when the page was made, so sending the same form twice pledges once (the
ledger's pledges are idempotent per id); the form is checked by the API's schema.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.dashboard.session import check_csrf, loaded, own_household, page, whole
from api.ledger import ledger
from api.routes.funding_schemas import PledgeIn


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/funding", "funding", page(funding))
    bp.add_url_rule("/funding/<campaign_id>/pledges", "pledge", page(pledge), methods=["POST"])


def funding() -> Any:
    household = own_household()
    mine: dict[str, list[dict[str, Any]]] = {}
    for pledged in ledger().my_pledges():
        mine.setdefault(pledged["campaign_id"], []).append(pledged)
    campaigns = sorted(ledger().campaigns(), key=lambda c: c["deadline"], reverse=True)
    return render_template(
        "dashboard/funding.html",
        household=household,
        campaigns=campaigns,
        mine=mine,
        pledge_id=f"ui-{secrets.token_hex(8)}",
    )


def pledge(campaign_id: str) -> Any:
    check_csrf()
    own_household()
    sent = {
        "pledge_id": request.form.get("pledge_id", ""),
        "amount": whole(request.form.get("amount", ""), "amount"),
    }
    form = loaded(PledgeIn(), sent)
    made = ledger().pledge(campaign_id, form["pledge_id"], form["amount"])
    flash(f"You pledged {made['amount']} to {campaign_id} (pledge {made['pledge_id']}).")
    return redirect(url_for("dashboard.funding"))
