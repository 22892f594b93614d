"""Schemas of the access records' routes: the periods asked for and the records shown.

Times are UTC instants like the other period queries (``Period``); strings are bounded.
A record shows a household who read what of its data, when, and under which consent;
counts show the regulator how many reads each kind of reader made, naming no household.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Integer, List, Nested, String

from api.routes.common import Page
from api.routes.fields import UTC

INSTANT = 20  # len("2026-03-01T09:15:00Z")


class AccessPeriod(Schema):
    """When the accesses were recorded: ``[start, end)``, at most 731 days."""

    start = String(required=True, validate=UTC)
    end = String(required=True, validate=UTC)


class AccessRecord(Schema):
    household_id = String()
    reader = String(metadata={"description": "the reader, written MSPID:enrollment-id"})
    reader_role = String()
    reader_org = String(metadata={"description": "the reader's MSP id"})
    kind = String(metadata={"description": "readings, disclosure or invoice"})
    subject = String(metadata={"description": "the household id, or the meter id disclosed"})
    start = String(metadata={"description": "the period the reader may read, from"})
    end = String(metadata={"description": "the period the reader may read, until (exclusive)"})
    consent_id = String(
        allow_none=True, metadata={"description": "the consent that let a third party read"}
    )
    recorded_at = String()
    tx_id = String(metadata={"description": "the RecordAccess transaction (or the invoice's)"})


class AccessPage(Page):
    """A page of a household's access records, newest first."""

    items = List(Nested(AccessRecord))


class AccessCount(Schema):
    reader_msp = String()
    reader_role = String()
    kind = String()
    count = Integer()


class AccessCounts(Schema):
    start = String()
    end = String()
    total = Integer()
    counts = List(
        Nested(AccessCount), metadata={"description": "by reader org, reader role and kind"}
    )
