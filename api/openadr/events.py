"""The VTN's events, kept on the community's grid-event register, not in the VTN.

Creating, updating and deleting an event is a transaction the operator signs with its
own key (``PublishDemandResponseEvent``, ``WithdrawDemandResponseEvent``): the
register keeps every revision with its issuer, and stamps the event's times. Searches
and reads come from the register too, so a VEN is told exactly what is on the ledger.
Subscribers are notified of each change (:mod:`api.openadr.notify`).
"""

from __future__ import annotations

import secrets
from typing import Any

from apiflask import APIBlueprint, abort
from flask import g, request

from api.ledger import ledger
from api.openadr import notify
from api.openadr.paging import page, targeted
from api.openadr.store import vtn_store
from api.openadr.tokens import require

__all__ = ["register"]


def current(event_id: str) -> dict[str, Any]:
    """The event's current revision, unless it was deleted (404, from the register too)."""
    record: dict[str, Any] = ledger().demand_response_event(event_id)
    if record["deleted"]:
        abort(404, f"event {event_id} was deleted")
    return record


def body_for(event_id: str) -> dict[str, Any]:
    body: dict[str, Any] = request.get_json()
    if body.get("id", event_id) != event_id:
        abort(400, f"the body's id {body['id']!r} is not the event's id {event_id!r}")
    program_id = body["programID"]
    if vtn_store().get(g.community, "PROGRAM", program_id) is None:
        abort(400, f"programID {program_id!r} is not a program of this VTN")
    return {**body, "id": event_id}


def search() -> Any:
    require("read_all")
    records = ledger().demand_response_events(request.args.get("programID", ""))
    return page(targeted([r["event"] for r in records]))


def create() -> Any:
    require("write_events")
    event = ledger().publish_event(body_for(f"evt-{secrets.token_hex(8)}"))["event"]
    notify.changed("CREATE", event)
    return event, 201


def read(event_id: str) -> Any:
    require("read_all")
    return current(event_id)["event"]


def update(event_id: str) -> Any:
    require("write_events")
    before = current(event_id)
    event = ledger().publish_event(body_for(event_id))["event"]
    if event != before["event"]:
        notify.changed("UPDATE", event)
    return event


def delete(event_id: str) -> Any:
    require("write_events")
    current(event_id)
    event = ledger().withdraw_event(event_id)["event"]
    notify.changed("DELETE", event)
    return event


def register(bp: APIBlueprint) -> None:
    bp.add_url_rule("/events", "search_events", search, methods=["GET"])
    bp.add_url_rule("/events", "create_event", create, methods=["POST"])
    bp.add_url_rule("/events/<event_id>", "read_event", read, methods=["GET"])
    bp.add_url_rule("/events/<event_id>", "update_event", update, methods=["PUT"])
    bp.add_url_rule("/events/<event_id>", "delete_event", delete, methods=["DELETE"])
