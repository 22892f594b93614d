"""Health: the API is up and can reach every peer."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.ledger import access

bp = APIBlueprint("health", __name__, tag="Health")


@bp.get("/healthz")
@bp.doc(summary="Whether the API can reach the ledger (503 when a peer is unreachable)")
def healthz() -> tuple[dict[str, Any], int]:
    peers = access().ready()
    healthy = all(state == "ok" for state in peers.values())
    return {"status": "ok" if healthy else "degraded", "peers": peers}, 200 if healthy else 503
