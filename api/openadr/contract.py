"""The OpenADR 3.0.1 specification, as the VTN's contract with every VEN.

``openadr3.yaml`` beside this module is the OpenADR Alliance's published OpenAPI
document, unchanged (its source and licence: ``SOURCE.md``). Every request is checked
against it before the VTN acts: path, query parameters and body, with the
specification's own schemas, so what the VTN takes is exactly what the standard
allows, and a refusal names the field and the rule it breaks.

The document's own server (``localhost:8081``) and security schemes are not used:
the VTN is mounted under a community's path, and it checks its bearer tokens itself
(:mod:`api.openadr.tokens`). One gap of the document is filled as it is loaded: its
discriminators (``objectType``) have no mapping, and the implicit one names schemas
that do not exist (``EVENT_PAYLOAD_DESCRIPTOR`` for ``eventPayloadDescriptor``), so
no validator could resolve them; each gets the mapping its schemas' ``objectType``
enums state (:func:`mapped`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = ["DOCUMENT", "SpecRequest", "load", "refusal"]

DOCUMENT = Path(__file__).with_name("openadr3.yaml")
HOST = "http://vtn.invalid"


@functools.cache
def load() -> OpenAPI:
    """The specification, with the VTN's own base path and without its security schemes."""
    spec = yaml.safe_load(DOCUMENT.read_text())
    mapped(spec, spec["components"]["schemas"])
    spec["servers"] = [{"url": "/"}]
    spec.pop("security", None)
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return OpenAPI.from_dict(spec)


def mapped(node: Any, schemas: dict[str, Any]) -> None:
    """Give every discriminator under *node* the mapping of its alternatives' objectType."""
    if isinstance(node, list):
        for item in node:
            mapped(item, schemas)
        return
    if not isinstance(node, dict):
        return
    alternatives = node.get("oneOf") or node.get("anyOf") or []
    if "discriminator" in node and alternatives:
        mapping = {}
        for alternative in alternatives:
            name = alternative["$ref"].rsplit("/", 1)[1]
            for value in schemas[name]["properties"]["objectType"]["enum"]:
                mapping[value] = alternative["$ref"]
        node["discriminator"].setdefault("mapping", mapping)
    for value in node.values():
        mapped(value, schemas)


class SpecRequest:
    """A request as openapi-core reads it: its path below the VTN's base."""

    def __init__(
        self,
        method: str,
        path: str,
        query: ImmutableMultiDict[str, str],
        headers: Headers,
        content_type: str,
        body: bytes | None,
    ) -> None:
        self.host_url = HOST
        self.path = path
        self.method = method.lower()
        self.parameters = RequestParameters(
            query=query, header=headers, cookie=ImmutableMultiDict(), path={}
        )
        self.content_type = content_type or "application/json"
        self.body = body


def reasons(error: BaseException) -> list[str]:
    """What each schema rule the request broke says, with where it is."""
    found = []
    for cause in (error, error.__cause__, getattr(error.__cause__, "__cause__", None)):
        for schema_error in getattr(cause, "schema_errors", None) or ():
            where = "/".join(str(p) for p in schema_error.absolute_path)
            found.append(f"{where or 'body'}: {schema_error.message}")
    return found


def refusal(request: SpecRequest) -> str | None:
    """Why the specification refuses *request*, or None when it takes it."""
    try:
        load().validate_request(request)
    except OpenAPIError as error:
        found = reasons(error)
        summary = str(error).split(":")[0]
        return f"{summary}: {'; '.join(found[:5])}" if found else str(error)
    return None
