"""The bounded fields and validators every request schema is made of.

Energy is in whole Wh, money in whole minor units, prices in minor units per kWh, times
UTC like ``2026-03-01T09:15:00Z``: the chaincode's units, unchanged. Every string a
request carries has a length the OpenAPI document states (a validator list with
``Length`` is what apispec turns into ``maxLength``), and every number a range, so no
id reaches a CA, a peer or an error message unbounded (the unit test
``test_the_document_bounds_every_string_and_number_of_a_request`` walks the document).
"""

from __future__ import annotations

from typing import Any

from apiflask.fields import Integer
from apiflask.validators import Length, Regexp

__all__ = ["DAY", "ENROLLMENT_ID", "MAX_MONEY", "MAX_PRICE", "MAX_WH", "UTC", "Whole"]

UTC = (
    Length(20, 20),
    Regexp(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
        error="must be a UTC time like 2026-03-01T09:15:00Z",
    ),
)
DAY = (Length(10, 10), Regexp(r"^\d{4}-\d\d-\d\d$", error="must be a date like 2026-03-01"))
ENROLLMENT_ID = (
    Length(1, 64),
    Regexp(r"^[A-Za-z0-9._@-]{1,64}$", error="use letters, digits and . _ @ -"),
)


class Whole(Integer):
    """A whole number as JSON Schema's ``integer`` means it: ``7`` or ``7.0``, never
    ``7.5``, ``"7"`` or ``true`` (what the document says a request may hold, the API
    takes)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return int(super()._validated(value))


MAX_WH = 1_000_000
MAX_MONEY = 10**12
MAX_PRICE = 100_000
