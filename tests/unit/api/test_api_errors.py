"""The API's errors without a network: JSON bodies it cannot decode, and the errors its
OpenAPI document lists (api/errors.py). No request here reaches a peer or a CA."""

import json

import pytest

from api.errors import LEDGER_ERRORS
from api.limits import MAX_BODY_DEPTH, body_problem

DEEP = f"the request body is not valid JSON: it is nested more than {MAX_BODY_DEPTH} levels deep"
DEEP_DETAIL = {"json": [f"Nested more than {MAX_BODY_DEPTH} levels deep."]}
# operations that call no chaincode: the API itself, the CA, the peers' blocks, the nodes
NOT_THE_LEDGER = ("/healthz", "/auth/", "/admin/", "/audit/", "/config-updates", "/communities ")


def off_the_ledger(label: str) -> bool:
    """Whether an operation ("METHOD /path") calls no chaincode (`/communities` itself)."""
    path = label.split(" ", 1)[1] + " "
    return any(path.startswith(part) for part in NOT_THE_LEDGER)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (nested(MAX_BODY_DEPTH), False),
        (nested(MAX_BODY_DEPTH + 1), True),
        ('{"a":' * (MAX_BODY_DEPTH + 1) + "1" + "}" * (MAX_BODY_DEPTH + 1), True),
        (nested(100_000), True),  # deeper than the decoder's recursion limit
        ("[" * 100_000, True),  # unterminated, and too deep before that shows
        (json.dumps([[{"a": [1]}]] * 500), False),  # many brackets, not deep
        ("[" * 200 + "oops", False),  # not JSON: the parser says so
        ('"[[[["', False),
        ("7", False),
    ],
    ids=[
        "at-the-limit",
        "one-deeper",
        "objects",
        "100000-deep",
        "unterminated",
        "wide",
        "not-json",
        "string",
        "number",
    ],
)
def test_how_deep_a_body_may_nest(body, too_deep):
    found = body_problem(body.encode())
    assert (found is not None and found[1] == DEEP_DETAIL) is too_deep


@pytest.mark.parametrize(
    "path", ["/auth/login", "/communities/sunnyside/orders", "/campaigns/battery-1/pledges"]
)
@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 1000, 100_000])
def test_a_body_nested_too_deep_is_a_400_before_authentication(app, path, depth):
    response = app.test_client().post(path, data=nested(depth), content_type="application/json")
    assert (response.status_code, response.get_json()) == (
        400,
        {"status": 400, "message": DEEP, "detail": DEEP_DETAIL},
    )


def test_a_body_at_the_depth_limit_reaches_the_schema(app):
    response = app.test_client().post(
        "/auth/login", data=nested(MAX_BODY_DEPTH), content_type="application/json"
    )
    assert response.status_code == 422


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_that_calls_the_ledger_lists_its_refusals_and_failures(document):
    ledger = {
        label: operation for label, operation in operations(document) if not off_the_ledger(label)
    }
    assert len(ledger) >= 40
    for label, operation in ledger.items():
        for status, description in LEDGER_ERRORS.items():
            documented = operation["responses"].get(str(status))
            assert documented is not None, f"{label} does not list {status}"
            if status in (400, 404) and documented["description"] != description:
                continue  # APIFlask's own 404 of a path, or a body's 400
            assert documented == {
                "description": description,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}
                },
            }


def test_every_request_body_may_be_refused_as_invalid_json(document):
    with_body = [(label, op) for label, op in operations(document) if "requestBody" in op]
    assert len(with_body) >= 15
    assert [label for label, op in with_body if "400" not in op["responses"]] == []


@pytest.mark.parametrize(
    ("label", "statuses"),
    [
        ("POST /auth/login", {"200", "400", "401", "413", "422", "429"}),
        ("POST /admin/identities", {"201", "400", "401", "403", "404", "409", "413", "422"}),
        ("GET /audit/channels/{channel}/verification", {"200", "400", "401", "403", "404"}),
        ("GET /healthz", {"200"}),
        (
            "GET /communities/{community}/tariffs/in-force/{day}",
            {"200", "400", "401", "403", "404", "409", "429", "502", "503"},
        ),
    ],
)
def test_operations_off_the_ledger_list_their_own_errors(document, label, statuses):
    method, path = label.split(" ", 1)
    assert set(document["paths"][path][method.lower()]["responses"]) == statuses


def test_each_schema_is_in_the_document_once(document):
    names = set(document["components"]["schemas"])
    assert {"Pledge", "PledgeEntry", "Approval", "ApprovalEntry"} <= names
    assert [name for name in names if name[-1].isdigit()] == []


def test_a_page_size_is_an_integer_or_absent_never_null(document):
    """A query string cannot send null: the document must not offer it to clients."""
    found = [
        parameter["schema"]
        for operation in (op for path in document["paths"].values() for op in path.values())
        for parameter in operation.get("parameters", [])
        if parameter.get("name") == "per_page"
    ]
    assert found
    assert all(not s.get("nullable") and "default" not in s for s in found)
