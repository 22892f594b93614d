"""What every resource shares: pagination, the caller's ledger, and time formats."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Integer, List, Raw
from apiflask.validators import Range
from flask import current_app

TIME_EXAMPLE = "2026-03-01T09:15:00Z"


class PageQuery(Schema):
    page = Integer(load_default=1, validate=Range(1, 1_000_000))
    # absent: the configured page size (a query string has no null to send)
    per_page = Integer(validate=Range(min=1, max=500))


class Page(Schema):
    """A page of a list: its items, and where it sits in the whole."""

    items = List(Raw())
    page = Integer()
    per_page = Integer()
    total = Integer()
    pages = Integer()


def page_of(items: list[Any], query: dict[str, Any]) -> dict[str, Any]:
    """Cut `items` into the page the query asks for (default page size from config)."""
    per_page = query.get("per_page") or current_app.config["PAGE_SIZE"]
    page = query.get("page", 1)
    start = (page - 1) * per_page
    total = len(items)
    return {
        "items": items[start : start + per_page],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, -(-total // per_page)),
    }
