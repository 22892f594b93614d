"""Which communities this API serves, and the `/communities/<name>/...` prefix of their resources.

An org's API serves every channel its org is on: the utility's and the regulator's
every community, a community's its own. Everything of one community (meters, readings,
consents, tariffs, the market, invoices, grid events, Green Button) lives under
``/communities/<name>``, and a name the org is not on is a 404 before anything else.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import List, String
from flask import g

from api.auth import auth
from api.ledger import access

bp = APIBlueprint("communities", __name__, url_prefix="/communities", tag="Communities")
PREFIX = "/communities/<community>"


class Communities(Schema):
    org = String()
    msp_id = String()
    communities = List(String())


@bp.get("")
@bp.auth_required(auth)
@bp.output(Communities)
@bp.doc(summary="The communities this API's org is on: the names its paths take")
def communities() -> Any:
    here = access()
    return {"org": here.org, "msp_id": here.msp_id, "communities": here.communities()}


def pick_community(_: str | None, values: dict[str, Any] | None) -> None:
    """Take the community out of the path into `g`; 404 when the org is not on it."""
    name = (values or {}).pop("community", None)
    if name is None:
        return
    served = access().communities()
    if name not in served:
        abort(
            404,
            f"the {access().org} API serves no community {str(name)[:64]!r}; "
            f"it serves: {', '.join(served) or 'none yet'}",
        )
    g.community = name
