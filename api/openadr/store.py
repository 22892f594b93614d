"""The VTN's own records: programs, VENs, reports and subscriptions, per community.

They live in one SQLite file in the API's folder (``openadr.sqlite3``, 0600), the
utility's alone. Events do not: they are on the community's grid-event register
(:mod:`api.openadr.events`), where every revision is tamper-proof.

Each record keeps its OpenADR object as JSON, with the client that owns it (the VEN
that registered a VEN object, wrote a report or subscribed), so a VEN sees and
changes only its own. A program's and a VEN's name are unique in their community, as
OpenADR 3 asks (a second one is a 409).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app

__all__ = ["KINDS", "Duplicate", "Store", "init_app", "vtn_store"]

EXTENSION = "gridledger-openadr"
# object type -> the field that names it uniquely in a community (None: not unique)
KINDS = {"PROGRAM": "programName", "VEN": "venName", "REPORT": None, "SUBSCRIPTION": None}
SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    community TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    owner TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (community, kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS unique_name ON objects (community, kind, name)
    WHERE name IS NOT NULL;
"""


class Duplicate(Exception):
    """Another object of the kind already has that name."""


class Store:
    """OpenADR objects by community, kind and id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._connection() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path)
            try:
                with db:
                    yield db
            finally:
                db.close()

    def put(self, community: str, obj: dict[str, Any], owner: str) -> None:
        """Create *obj* for *owner*, or replace it (its owner stays): its ``objectType``
        and ``id`` say where."""
        kind = obj["objectType"]
        name_field = KINDS[kind]
        name = obj.get(name_field) if name_field else None
        try:
            with self._connection() as db:
                db.execute(
                    "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (community, kind, id) DO UPDATE "
                    "SET name = excluded.name, body = excluded.body",
                    (community, kind, obj["id"], name, owner, json.dumps(obj)),
                )
        except sqlite3.IntegrityError as exc:
            raise Duplicate(f"a {kind.lower()} named {name!r} already exists") from exc

    def get(self, community: str, kind: str, object_id: str) -> tuple[dict[str, Any], str] | None:
        """The object and its owner, or None."""
        with self._connection() as db:
            row = db.execute(
                "SELECT body, owner FROM objects WHERE community=? AND kind=? AND id=?",
                (community, kind, object_id),
            ).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def all(self, community: str, kind: str, owner: str | None = None) -> list[dict[str, Any]]:
        """The objects of a kind (of one owner, when given), oldest first."""
        query = "SELECT body FROM objects WHERE community=? AND kind=?"
        args: tuple[str, ...] = (community, kind)
        if owner is not None:
            query, args = query + " AND owner=?", (*args, owner)
        with self._connection() as db:
            rows = db.execute(query + " ORDER BY rowid", args).fetchall()
        return [json.loads(row[0]) for row in rows]

    def delete(self, community: str, kind: str, object_id: str) -> None:
        with self._connection() as db:
            db.execute(
                "DELETE FROM objects WHERE community=? AND kind=? AND id=?",
                (community, kind, object_id),
            )


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Store(Path(app.config["API_DIR"]) / "openadr.sqlite3")


def vtn_store() -> Store:
    found: Store = current_app.extensions[EXTENSION]
    return found
