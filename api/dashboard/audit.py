"""The regulator's audit of each channel: its chain recomputed from the regulator's own peer.

A verification fetches every block of the channel through the peer's Deliver service,
signed with the auditor's own key, and recomputes each header's hash and data hash
(`client.verify_chain`, what ``GET /audit/channels/<c>/verification`` answers); the
first break, if any, is shown with the block that breaks. Only a regulator may audit.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, render_template

from api.dashboard.session import check_csrf, page
from api.ledger import access
from api.routes.audit import blocks_of, regulator_required
from client import verify_chain


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/audit", "audit", page(regulator_required(channels)))
    bp.add_url_rule(
        "/audit/<channel>/verification",
        "verify",
        page(regulator_required(verification)),
        methods=["POST"],
    )


def channels(result: dict[str, Any] | None = None) -> Any:
    names = sorted(access().profile.channels)
    return render_template("dashboard/audit.html", channels=names, result=result)


def verification(channel: str) -> Any:
    check_csrf()
    result = {"channel": channel, **asdict(verify_chain(blocks_of(channel)))}
    return channels(result)
