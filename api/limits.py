"""What a request may be at most: its size, its path parameters, and its JSON.

Everything here runs before authentication and before a view parses its input, so no
request can make the API spend memory or CPU on it, or reach a CA, a peer or an error
message, only to be refused later; and nothing a client sends can become a 500.

- **Size.** A body larger than ``MAX_BODY_BYTES`` (1 MiB) is a 413; the bulk routes
  (:func:`bulk`: readings submissions, Green Button files) take up to
  ``MAX_BULK_BODY_BYTES`` (16 MiB: a thousand meter-days of 15-minute readings, signed,
  are about 1.7 MB).
- **Path parameters** are at most ``MAX_PATH_PARAMETER`` characters (a 400 naming the
  parameter); the OpenAPI document says so (:func:`document_bounds`). An id thousands of
  characters long would otherwise travel to the chaincode, come back in its refusal
  and overflow the gRPC metadata that carries it (a 502).
- **JSON bodies** are decoded once here, where every way a body can break the decoder
  or the schema's conversions is a 400 that names the field: nested more than
  ``MAX_BODY_DEPTH`` levels (the decoder would run out of recursion), a number of more
  than ``MAX_NUMBER_DIGITS`` digits (Python refuses to convert integers of more than
  4,300 digits, with a ValueError nobody catches), ``NaN`` and ``Infinity`` (not JSON),
  and text that is not Unicode, such as a lone surrogate (``"\\ud800"`` decodes, then
  cannot be encoded for the CA or the chaincode).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from apiflask import APIFlask, abort
from flask import current_app, request

__all__ = [
    "INVALID_JSON",
    "MAX_BODY_DEPTH",
    "MAX_NUMBER_DIGITS",
    "MAX_PATH_PARAMETER",
    "body_problem",
    "bulk",
    "document_bounds",
    "init_app",
]

INVALID_JSON = "the request body is not valid JSON"
# far deeper than any body of the API, far shallower than the JSON decoder's recursion
MAX_BODY_DEPTH = 100
# an integer field of the API holds at most 13 digits (money in minor units)
MAX_NUMBER_DIGITS = 30
MAX_PATH_PARAMETER = 256  # a channel name may have 249 characters; ids have 64
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DEEP = ("json", f"Nested more than {MAX_BODY_DEPTH} levels deep.")

View = TypeVar("View", bound=Callable[..., Any])


class TooManyDigits(str):
    """A number of the body too long to convert: kept as text until its field is named."""


def bulk(view: View) -> View:
    """Mark a view that takes bulk uploads (up to MAX_BULK_BODY_BYTES)."""
    view.gridledger_bulk = True  # type: ignore[attr-defined]
    return view


def refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")  # json.loads takes NaN and Infinity


def number(text: str, convert: Callable[[str], Any]) -> Any:
    digits = sum(c.isdigit() for c in text)
    return TooManyDigits(text) if digits > MAX_NUMBER_DIGITS else convert(text)


def decode(data: bytes) -> Any:
    return json.loads(
        data,
        parse_int=lambda text: number(text, int),
        parse_float=lambda text: number(text, float),
        parse_constant=refuse_constant,
    )


def where(path: tuple[Any, ...]) -> str:
    """A field's name as a client wrote it: ``bands.0.name``."""
    return ".".join(str(part) for part in path) or "body"


def values(document: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every value of a decoded document, with its path and depth, without recursion."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend(((*path, key), child) for key, child in value.items())
            stack.extend(((*path, key), key) for key in value)  # keys are text too
        elif isinstance(value, list):
            stack.extend(((*path, index), child) for index, child in enumerate(value))


def problem_of(path: tuple[Any, ...], value: Any) -> tuple[str, str] | None:
    """What is wrong with one value of the body (at *path*): (field, why), or None."""
    if len(path) >= MAX_BODY_DEPTH and isinstance(value, dict | list):
        return DEEP
    if isinstance(value, TooManyDigits):
        return where(path), f"A number of more than {MAX_NUMBER_DIGITS} digits."
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return where(path), "Not valid Unicode text (a lone surrogate)."
    return None


def body_problem(data: bytes) -> tuple[str, dict[str, list[str]]] | None:
    """Why the JSON *data* cannot be taken (message, detail), or None when it can be (or
    when it is not JSON at all: the view's parser says so, as for any other body)."""
    try:
        document = decode(data)
        found = next(filter(None, (problem_of(p, v) for p, v in values(document))), None)
    except RecursionError:
        found = DEEP
    except json.JSONDecodeError:
        return None
    except ValueError as exc:  # a constant such as NaN, or bytes that are not UTF-8
        found = "json", f"{exc}."
    if found is None:
        return None
    field, why = found
    if found == DEEP:
        return f"{INVALID_JSON}: it is nested more than {MAX_BODY_DEPTH} levels deep", {
            field: [why]
        }
    return f"{INVALID_JSON}: {field}: {why[0].lower()}{why[1:-1]}", {field: [why]}


def limit_body() -> None:
    """Before anything reads the body: the most it may hold on this route."""
    view = current_app.view_functions.get(request.endpoint or "")
    big = getattr(view, "gridledger_bulk", False)
    setting = "MAX_BULK_BODY_BYTES" if big else "MAX_BODY_BYTES"
    request.max_content_length = current_app.config[setting]


def refuse_long_path_parameters() -> None:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and len(value) > MAX_PATH_PARAMETER:
            message = f"at most {MAX_PATH_PARAMETER} characters"
            abort(400, f"path parameter {name}: {message}", detail={name: [message]})


def refuse_unusable_json() -> None:
    """A 400 for a JSON body the decoder or the schema's conversions cannot take."""
    if request.method not in BODY_METHODS or not request.is_json:
        return
    data = request.get_data(cache=True)  # a 413 when it is larger than the route takes
    if not data:
        return
    found = body_problem(data)
    if found is not None:
        abort(400, found[0], detail=found[1])


def document_bounds(spec: dict[str, Any]) -> None:
    """State in the document the bound on every path parameter, and that a body with
    required fields is itself required (APIFlask leaves every body optional)."""
    schemas = spec["components"]["schemas"]
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    parameter.setdefault("schema", {"type": "string"})
                    parameter["schema"].setdefault("maxLength", MAX_PATH_PARAMETER)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                reference = content.get("schema", {}).get("$ref", "")
                if schemas.get(reference.rsplit("/", 1)[-1], {}).get("required"):
                    operation["requestBody"]["required"] = True


def init_app(app: APIFlask) -> None:
    app.before_request(limit_body)
    app.before_request(refuse_long_path_parameters)
    app.before_request(refuse_unusable_json)
