"""The regulator's audit of each channel, from the blocks of the regulator's own peer.

Both pages fetch every block of the channel through the peer's Deliver service, signed
with the auditor's own key. A verification recomputes each header's hash and data hash
(`client.verify_chain`, what ``GET /audit/channels/<c>/verification`` answers) and
shows the first break, if any; the configuration history lists every configuration
block with who signed its update, the member orgs and what changed
(`client.config_history`, as ``GET /audit/channels/<c>/config-history``). Only a
regulator may audit.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from apiflask import abort
from flask import Blueprint, render_template, request

from api.dashboard.session import check_csrf, page
from api.ledger import access
from api.routes.audit import blocks_of, regulator_required
from client import config_history, verify_chain


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/audit", "audit", page(regulator_required(channels)))
    bp.add_url_rule(
        "/audit/<channel>/verification",
        "verify",
        page(regulator_required(verification)),
        methods=["POST"],
    )
    bp.add_url_rule("/audit/history", "history", page(regulator_required(history)))


def channels(result: dict[str, Any] | None = None) -> Any:
    names = sorted(access().profile.channels)
    return render_template("dashboard/audit.html", channels=names, result=result)


def verification(channel: str) -> Any:
    check_csrf()
    result = {"channel": channel, **asdict(verify_chain(blocks_of(channel)))}
    return channels(result)


def history() -> Any:
    names = sorted(access().profile.channels)
    channel = request.args.get("channel") or (names[0] if names else "")
    if channel not in names:
        abort(404, f"the {access().msp_id} peer is on no channel {channel[:64]!r}")
    changes = [asdict(change) for change in config_history(blocks_of(channel))]
    return render_template(
        "dashboard/history.html", channels=names, channel=channel, changes=changes[::-1]
    )
