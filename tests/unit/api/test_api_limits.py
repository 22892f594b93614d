"""What a request may be at most (api/limits.py), without a network: each refusal is a
4xx that names what is wrong, before authentication, and the document states every bound."""

import json

import pytest
from marshmallow import ValidationError

from api.limits import MAX_NUMBER_DIGITS, MAX_PATH_PARAMETER
from api.routes.fields import Whole

LOGIN = "/auth/login"
READINGS = "/communities/sunnyside/readings"
MIB = 1024 * 1024


def post(app, path, data, content_type="application/json"):
    return app.test_client().post(path, data=data, content_type=content_type)


def padded_login(size: int) -> bytes:
    body = {"enrollment_id": "household1", "secret": "x", "padding": " " * size}
    return json.dumps(body).encode()


@pytest.mark.parametrize("size", [MIB + 1, 16 * MIB])
def test_a_body_over_the_limit_is_a_413_naming_no_field(app, size):
    response = post(app, LOGIN, padded_login(size))
    assert response.status_code == 413
    body = response.get_json()
    assert set(body) == {"status", "message", "detail"} and body["status"] == 413


def test_the_bulk_routes_take_more_than_the_others(app):
    submission = json.dumps({"bundles": [{"payload": "x" * (2 * MIB), "signature": "y"}]})
    assert post(app, LOGIN, submission).status_code == 413
    # read and checked, then refused for want of a credential: the size was fine
    assert post(app, READINGS, submission).status_code == 401
    assert post(app, READINGS, "[" + " " * (17 * MIB) + "]").status_code == 413


@pytest.mark.parametrize(
    ("body", "field", "why"),
    [
        ('{"enrollment_id": "' + "9" * 5000 + '"}', None, None),  # digits in text: fine
        ('{"enrollment_id": 1' + "0" * 5000 + "}", "enrollment_id", "digits"),
        ('{"amount": -1' + "0" * MAX_NUMBER_DIGITS + "}", "amount", "digits"),
        ('{"amount": 1.' + "5" * 5000 + "}", "amount", "digits"),
        ('{"a": [1, {"b": 1e' + "9" * 40 + "}]}", "a.1.b", "digits"),
        ('{"enrollment_id": "\\ud800"}', "enrollment_id", "surrogate"),
        ('{"\\udfff": "x"}', "\udfff", "surrogate"),
        ('{"enrollment_id": "h\\ud83d\\ude00"}', None, None),  # a pair is one character
        ('{"secret": NaN}', "json", "NaN"),
        ('{"secret": -Infinity}', "json", "Infinity"),
    ],
    ids=[
        "digit-text",
        "5000-digit-int",
        "31-digit-int",
        "5000-digit-float",
        "nested",
        "surrogate-value",
        "surrogate-key",
        "surrogate-pair",
        "nan",
        "infinity",
    ],
)
def test_a_value_the_api_cannot_take_is_a_400_naming_its_field(app, body, field, why):
    response = post(app, LOGIN, body.encode("utf-8", "surrogatepass"))
    if field is None:
        assert response.status_code == 422  # the schema's refusal: the value was decoded
        return
    assert response.status_code == 400, response.get_data()
    found = response.get_json()
    assert found["message"].startswith("the request body is not valid JSON: ")
    assert list(found["detail"]) == [field]
    assert why in found["detail"][field][0]


def test_bytes_that_are_not_utf8_are_a_400(app):
    response = post(app, LOGIN, b'{"enrollment_id": "\xff\xfe"}')
    assert response.status_code == 400
    assert response.get_json()["detail"].keys() == {"json"}


PERIOD = "?start=2026-03-01T00:00:00Z&end=2026-03-02T00:00:00Z"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/communities/sunnyside/households/{}/readings" + PERIOD, "household_id"),
        ("/communities/sunnyside/meters/{}", "meter_id"),
        ("/audit/channels/{}/verification", "channel"),
    ],
)
def test_a_path_parameter_longer_than_the_bound_is_a_400_naming_it(app, path, name):
    within = app.test_client().get(path.format("a" * MAX_PATH_PARAMETER))
    assert within.status_code == 401  # within the bound: on to authentication
    response = app.test_client().get(path.format("a" * (MAX_PATH_PARAMETER + 1)))
    assert (response.status_code, response.get_json()) == (
        400,
        {
            "status": 400,
            "message": f"path parameter {name}: at most {MAX_PATH_PARAMETER} characters",
            "detail": {name: [f"at most {MAX_PATH_PARAMETER} characters"]},
        },
    )


def unbounded(document):
    """Every string or number a request may carry whose bound the document does not state."""
    schemas = document["components"]["schemas"]

    def walk(schema, where, seen=()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from walk(schemas[name], where, (*seen, name))
            return
        kind = schema.get("type")
        if kind == "string" and "maxLength" not in schema and "enum" not in schema:
            yield where
        if kind in ("integer", "number") and "maximum" not in schema and "enum" not in schema:
            yield where
        for name, child in schema.get("properties", {}).items():
            yield from walk(child, f"{where}.{name}", seen)
        for part in ("items", "additionalProperties"):
            if isinstance(schema.get(part), dict):
                yield from walk(schema[part], f"{where}[]", seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                yield from walk(parameter["schema"], f"{label} {parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(content["schema"], f"{label} body")


def test_the_document_bounds_every_string_and_number_of_a_request(document):
    assert list(unbounded(document)) == []
    assert sum(1 for _ in document["paths"]) >= 40  # and it looked at the whole document


@pytest.mark.parametrize(
    ("value", "taken"),
    [(7, 7), (7.0, 7), (-0.0, 0), (7.5, None), ("7", None), (True, None), (1e300, int(1e300))],
)
def test_a_whole_number_is_what_json_schema_calls_an_integer(value, taken):
    field = Whole()
    if taken is None:
        with pytest.raises(ValidationError):
            field.deserialize(value)
    else:
        assert field.deserialize(value) == taken and type(field.deserialize(value)) is int


def test_a_body_with_required_fields_is_itself_required(document):
    consents = document["paths"]["/communities/{community}/consents"]["post"]
    assert consents["requestBody"]["required"] is True
    refunds = document["paths"]["/campaigns/{campaign_id}/refunds"]["post"]
    assert refunds["requestBody"].get("required") is not True  # every field optional
