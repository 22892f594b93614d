"""The VTN's programs, VENs, reports and subscriptions: create, search, read, update, delete.

The operator (business logic) writes programs and sees everything. A VEN writes its
own VEN object (named after its client id), its reports and its subscriptions (their
``clientName`` is its client id), and sees only its own of those; programs are read by
all. A report names an event of the register and a subscription a program of the VTN.
The VTN stamps ``id``, ``objectType``, ``createdDateTime`` and ``modificationDateTime``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apiflask import APIBlueprint, abort
from flask import g, request

from api.errors import chaincode_refusal
from api.ledger import ledger
from api.openadr.paging import page, targeted
from api.openadr.store import Duplicate, vtn_store
from api.openadr.tokens import Client, require
from client import GatewayError
from gridspec.readings import format_instant

__all__ = ["KINDS", "Kind", "now", "register"]


@dataclass(frozen=True)
class Kind:
    """One kind of object: where it lives, who writes it, which field names its owner."""

    path: str
    object_type: str
    write_scope: str
    owner_field: str | None  # a VEN's own objects name it in this field
    filters: tuple[str, ...]  # query parameters that match a field of the same name


KINDS = (
    Kind("programs", "PROGRAM", "write_programs", None, ()),
    Kind("vens", "VEN", "write_vens", "venName", ("venName",)),
    Kind(
        "reports", "REPORT", "write_reports", "clientName", ("programID", "eventID", "clientName")
    ),
    Kind(
        "subscriptions",
        "SUBSCRIPTION",
        "write_subscriptions",
        "clientName",
        ("programID", "clientName"),
    ),
)


def now() -> str:
    return format_instant(datetime.now(UTC))


def new_id(kind: Kind) -> str:
    return f"{kind.path[:3]}-{secrets.token_hex(8)}"


def owned(kind: Kind, client: Client) -> str | None:
    """Whose objects of *kind* the client sees: a VEN its own, business logic all."""
    return client.name if client.is_ven and kind.owner_field else None


def checked_body(kind: Kind, client: Client) -> dict[str, Any]:
    """The request's object, if the client may write it as it says."""
    body: dict[str, Any] = request.get_json()
    if owned(kind, client) and body.get(kind.owner_field) != client.name:
        abort(403, f"a VEN writes its own {kind.path}: {kind.owner_field} must be {client.name!r}")
    program_id = body.get("programID")
    if program_id is not None and vtn_store().get(g.community, "PROGRAM", program_id) is None:
        abort(400, f"programID {program_id!r} is not a program of this VTN")
    if kind.object_type == "REPORT":
        try:
            ledger().demand_response_event(body["eventID"])
        except GatewayError as error:
            if (chaincode_refusal(error) or (0,))[0] != 404:
                raise
            abort(400, f"eventID {body['eventID']!r} is not an event of this VTN")
    return body


def found(kind: Kind, object_id: str, client: Client) -> dict[str, Any]:
    record = vtn_store().get(g.community, kind.object_type, object_id)
    if record is None:
        abort(404, f"no {kind.object_type.lower()} {object_id!r} at this VTN")
    obj, owner = record
    if owned(kind, client) and owner != client.name:
        abort(403, f"{object_id} is not one of {client.name}'s {kind.path}")
    return obj


def saved(kind: Kind, obj: dict[str, Any], owner: str) -> dict[str, Any]:
    try:
        vtn_store().put(g.community, obj, owner)
    except Duplicate as exc:
        abort(409, str(exc))
    return obj


def routes(bp: APIBlueprint, kind: Kind) -> None:
    """Register the five operations of *kind* on the VTN's blueprint."""
    one = f"/{kind.path}/<object_id>"

    def search() -> Any:
        client = require("read_all")
        objects = vtn_store().all(g.community, kind.object_type, owned(kind, client))
        for name in kind.filters:
            if name in request.args:
                objects = [o for o in objects if o.get(name) == request.args[name]]
        return page(targeted(objects))

    def create() -> Any:
        client = require(kind.write_scope)
        body = checked_body(kind, client)
        stamp = now()
        obj = {
            **body,
            "id": new_id(kind),
            "objectType": kind.object_type,
            "createdDateTime": stamp,
            "modificationDateTime": stamp,
        }
        return saved(kind, obj, client.name), 201

    def read(object_id: str) -> Any:
        return found(kind, object_id, require("read_all"))

    def update(object_id: str) -> Any:
        client = require(kind.write_scope)
        old = found(kind, object_id, client)
        obj = {
            **checked_body(kind, client),
            "id": object_id,
            "objectType": kind.object_type,
            "createdDateTime": old["createdDateTime"],
            "modificationDateTime": now(),
        }
        return saved(kind, obj, client.name)

    def delete(object_id: str) -> Any:
        obj = found(kind, object_id, require(kind.write_scope))
        vtn_store().delete(g.community, kind.object_type, object_id)
        return obj

    bp.add_url_rule(f"/{kind.path}", f"search_{kind.path}", search, methods=["GET"])
    bp.add_url_rule(f"/{kind.path}", f"create_{kind.path}", create, methods=["POST"])
    bp.add_url_rule(one, f"read_{kind.path}", read, methods=["GET"])
    bp.add_url_rule(one, f"update_{kind.path}", update, methods=["PUT"])
    bp.add_url_rule(one, f"delete_{kind.path}", delete, methods=["DELETE"])


def register(bp: APIBlueprint) -> None:
    for kind in KINDS:
        routes(bp, kind)
