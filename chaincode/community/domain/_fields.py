"""Field checks shared by the domain's dataclasses (private).

Every check takes the *owner* of the field (``"offer o-17"``) and the error class to
raise, so each message names the record it is about:
``offer o-17: energy_wh must be between 1 and 1000000``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from .errors import DomainError, IntervalError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_RULE = "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"


def check_int(
    error: type[DomainError], owner: str, name: str, value: Any, low: int, high: int
) -> int:
    """*value* if it is an ``int`` (not a ``bool``) with ``low <= value <= high``."""
    if type(value) is not int:
        raise error(f"{owner}: {name} must be an integer")
    if not low <= value <= high:
        raise error(f"{owner}: {name} must be between {low} and {high}")
    return value


def check_own_id(error: type[DomainError], kind: str, value: Any) -> str:
    """The id of the record itself: ``offer id 'o 17' is invalid: use ...``."""
    if not isinstance(value, str):
        raise error(f"{kind} id must be a string")
    if not ID_PATTERN.fullmatch(value):
        raise error(f"{kind} id '{value}' is invalid: {ID_RULE}")
    return value


def check_id(error: type[DomainError], owner: str, name: str, value: Any) -> str:
    """An id held by a record: ``offer o-17: seller 'a b' is invalid: use ...``."""
    if not isinstance(value, str):
        raise error(f"{owner}: {name} must be a string")
    if not ID_PATTERN.fullmatch(value):
        raise error(f"{owner}: {name} '{value}' is invalid: {ID_RULE}")
    return value


def check_str(error: type[DomainError], owner: str, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise error(f"{owner}: {name} must be a string")
    return value


def record_values(
    error: type[DomainError], kind: str, id_field: str, record: Any, names: Sequence[str]
) -> dict[str, Any]:
    """The values of *names* in a decoded JSON *record*; missing fields are an error.

    Keys the domain does not use are ignored, so the chaincode may keep metadata
    (``tx_id``, ``created_by``, ...) next to the domain's fields.
    """
    if not isinstance(record, Mapping):
        raise error(f"{kind} record must be a json object")
    owner = f"{kind} {record.get(id_field, '(no id)')}"
    missing = [name for name in names if name not in record]
    if missing:
        raise error(f"{owner}: field {missing[0]} is missing")
    return {name: record[name] for name in names}


def check_derived(
    error: type[DomainError], owner: str, record: Mapping[str, Any], name: str, expected: Any
) -> None:
    """A derived value stored in *record*, when present, must equal its recomputation."""
    if name in record and record[name] != expected:
        raise error(
            f"{owner}: {name} {record[name]!r} does not match its inputs (expected {expected!r})"
        )


@contextmanager
def time_errors_as(error: type[DomainError]) -> Iterator[None]:
    """Re-raise an :class:`IntervalError` of a record's time field as the record's *error*."""
    try:
        yield
    except IntervalError as exc:
        raise error(str(exc)) from None
