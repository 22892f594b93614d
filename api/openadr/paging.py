"""Searches of the VTN: OpenADR 3's targeting and its skip/limit pagination."""

from __future__ import annotations

from typing import Any

from apiflask import abort
from flask import request

__all__ = ["MAX_LIMIT", "page", "targeted"]

MAX_LIMIT = 50  # the specification's largest limit, and its default here


def targeted(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects with a target of ``targetType`` holding one of ``targetValues``; all
    of them when the query names no target. Both or neither must be given."""
    kind = request.args.get("targetType")
    values = set(request.args.getlist("targetValues"))
    if kind is None and not values:
        return objects
    if kind is None or not values:
        abort(400, "targetType and targetValues go together: give both, or neither")
    return [
        obj
        for obj in objects
        if any(
            t.get("type") == kind and values & {str(v) for v in t.get("values", [])}
            for t in obj.get("targets") or []
        )
    ]


def page(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page ``skip`` and ``limit`` ask for (the specification checked their range)."""
    skip = int(request.args.get("skip", 0))
    limit = int(request.args.get("limit", MAX_LIMIT))
    return objects[skip : skip + limit]
