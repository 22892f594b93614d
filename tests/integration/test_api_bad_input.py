"""Bad input to the API, on the real network: a clear 4xx JSON error, and nothing written.

Every refusal is ``{"status", "message", "detail"}`` with the HTTP status, says what is
wrong (the field, the meter, the signature, the token), and leaves the ledger as it
was: the household's readings, the interval's order book, the meter registry and the
grid event log are read before and after.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import ROLES, SUNNYSIDE, Api, api_session, assert_error
from community_fixtures import KEYS, posted
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from client.bundles import sign_bundle
from gridspec.reading_bundle import new_secret
from network.scenario import Household, community, day_readings

pytestmark = pytest.mark.usefixtures("fabric_network")

HOUSEHOLD, OPERATOR, METER = ROLES["household"], ROLES["operator"], ROLES["meter"]
REGULATOR = ROLES["regulator"]
FMT = "%Y-%m-%dT%H:%M:%SZ"
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date()
DAY_QUERY = {
    "start": f"{YESTERDAY.isoformat()}T00:00:00Z",
    "end": f"{(YESTERDAY + timedelta(days=1)).isoformat()}T00:00:00Z",
}
# an interval yesterday morning (orders are open for 7 days); only its count is read
INTERVAL = f"{YESTERDAY.isoformat()}T08:00:00Z"
OLD_INTERVAL = (datetime.now(UTC) - timedelta(days=9)).strftime("%Y-%m-%dT08:00:00Z")


def fresh(prefix: str) -> Household:
    tag = uuid.uuid4().hex[:8]
    return replace(community()[2], household_id=f"h-{prefix}{tag}", meter_id=f"m-{prefix}{tag}")


def salt() -> str:
    return base64.urlsafe_b64encode(os.urandom(18)).decode()


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


@pytest.fixture(scope="module")
def metered(api: Api) -> Household:
    """A household of this run with a registered meter (and no readings yet)."""
    household = fresh("b")
    meter = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": KEYS.public_pem(household.meter_id),
    }
    api.ok("POST", f"{SUNNYSIDE}/meters", OPERATOR, 201, json=meter)
    return household


def readings_of(api: Api, household: Household) -> list[dict[str, Any]]:
    """The household's readings of yesterday, as the utility's operator reads them."""
    path = f"{SUNNYSIDE}/households/{household.household_id}/readings"
    body = api.ok("GET", path, OPERATOR, 200, query_string={**DAY_QUERY, "per_page": 500})
    items: list[dict[str, Any]] = body["items"]
    return items


def batch_of(household: Household, count: int, offset: int = 0) -> dict[str, Any]:
    """A correctly signed bundle of `count` of the household's readings of yesterday."""
    return posted(household, day_readings(household, YESTERDAY)[offset : offset + count])


def bundle_of(household: Household, **payload: Any) -> dict[str, Any]:
    """A body whose one bundle's payload is the household's meter's yesterday with
    *payload*'s fields, signed by the meter's device key."""
    fields = {
        "format": "gridledger-readings/1",
        "meter_id": household.meter_id,
        "day": YESTERDAY.isoformat(),
        "interval_minutes": 15,
        "secret": new_secret(),
        "readings": [[40, 100, 0]],
        **payload,
    }
    raw = json.dumps(fields).encode()
    return {"bundles": [sign_bundle(KEYS.provision(household.meter_id), raw).wire()]}


def order_books(api: Api) -> dict[str, int]:
    return {
        interval: api.ok("GET", f"{SUNNYSIDE}/intervals/{interval}/order-book", REGULATOR, 200)[
            "orders"
        ]
        for interval in (INTERVAL, OLD_INTERVAL)
    }


def meter_missing(api: Api, meter_id: str) -> bool:
    response = api.get(f"{SUNNYSIDE}/meters/{meter_id}", REGULATOR)
    assert response.status_code in (200, 404), response.get_json()
    return bool(response.status_code == 404)


def mentions(body: dict[str, Any], *words: str) -> bool:
    text = json.dumps(body).lower()
    return all(word.lower() in text for word in words)


# -- orders ---------------------------------------------------------------------------------

ORDER = {
    "order_id": "bad-input",
    "side": "bid",
    "interval_start": INTERVAL,
    "energy_wh": 100,
    "price_per_kwh": 20,
    "salt": salt(),
}
BAD_ORDERS = [
    # (id, body, status, words the error must name)
    ("energy as a string", {**ORDER, "energy_wh": "100"}, 422, ("energy_wh", "integer")),
    ("price as a float", {**ORDER, "price_per_kwh": 20.5}, 422, ("price_per_kwh",)),
    ("side missing", {k: v for k, v in ORDER.items() if k != "side"}, 422, ("side", "missing")),
    ("salt missing", {k: v for k, v in ORDER.items() if k != "salt"}, 422, ("salt", "missing")),
    ("unknown side", {**ORDER, "side": "sell"}, 422, ("side", "offer", "bid")),
    ("negative energy", {**ORDER, "energy_wh": -5}, 422, ("energy_wh", "greater than")),
    ("zero energy", {**ORDER, "energy_wh": 0}, 422, ("energy_wh",)),
    ("absurd energy", {**ORDER, "energy_wh": 10**9}, 422, ("energy_wh", "less than")),
    ("negative price", {**ORDER, "price_per_kwh": -1}, 422, ("price_per_kwh",)),
    ("not a time", {**ORDER, "interval_start": "yesterday"}, 422, ("interval_start", "utc")),
    (
        "unaligned interval",
        {**ORDER, "interval_start": INTERVAL.replace(":00:00Z", ":07:00Z")},
        400,
        ("is not aligned to 15 minutes",),
    ),
    (
        "interval older than 7 days",
        {**ORDER, "interval_start": OLD_INTERVAL},
        400,
        ("started more than 7 days ago",),
    ),
    ("a list, not an object", [ORDER], 422, ("json",)),
]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [case[1:] for case in BAD_ORDERS],
    ids=[case[0] for case in BAD_ORDERS],
)
def test_a_bad_order_is_refused_with_the_field_and_places_nothing(
    api: Api, body: Any, status: int, words: tuple[str, ...]
) -> None:
    before = order_books(api)
    if isinstance(body, dict):
        body = {**body, "order_id": f"bad-{uuid.uuid4().hex[:12]}"}
    response = api.post(f"{SUNNYSIDE}/orders", HOUSEHOLD, json=body)
    error = assert_error(response, status)
    assert order_books(api) == before
    assert mentions(error, *words), error


def test_a_malformed_json_body_is_a_400_that_says_the_body_is_not_json(api: Api) -> None:
    before = order_books(api)
    response = api.post(
        f"{SUNNYSIDE}/orders",
        HOUSEHOLD,
        data='{"order_id": "x", "side": ',
        content_type="application/json",
    )
    error = assert_error(response, 400)
    assert order_books(api) == before
    # webargs reports {"json": ["Invalid JSON body."]}; the API must pass that on
    assert mentions(error, "json"), error


# -- readings -------------------------------------------------------------------------------


def bad_batches(household: Household) -> list[tuple[str, Any, int, tuple[str, ...]]]:
    good = batch_of(household, 2, offset=40)
    now = datetime.now(UTC)
    current = now.hour * 4 + now.minute // 15  # the interval under way: not ended
    where = f"bundle 0: readings of meter {household.meter_id} on {YESTERDAY.isoformat()}"
    return [
        (
            "import as a string",
            bundle_of(household, readings=[[40, "5", 0]]),
            422,
            (f"{where}, slot 40: import_wh must be an integer from 0 to 50000 Wh",),
        ),
        (
            "negative import",
            bundle_of(household, readings=[[40, -1, 0]]),
            422,
            ("import_wh must be an integer from 0 to 50000 Wh",),
        ),
        (
            "more than 200 kW for 15 minutes",
            bundle_of(household, readings=[[40, 60_000, 0]]),
            422,
            ("import_wh must be an integer from 0 to 50000 Wh",),
        ),
        (
            "an interval that has not ended",
            bundle_of(household, day=now.date().isoformat(), readings=[[current, 1, 0]]),
            400,
            ("(15 minutes of clock tolerance)",),
        ),
        (
            "slots out of order",
            bundle_of(household, readings=[[41, 1, 0], [40, 1, 0]]),
            422,
            ("slots must be integers from 0 to 95 in increasing order",),
        ),
        ("short secret", bundle_of(household, secret="abc"), 422, ("secret must be 32 random",)),
        (
            "signature missing",
            {"bundles": [{"payload": good["bundles"][0]["payload"]}]},
            422,
            ("signature", "missing"),
        ),
        ("no bundles", {"bundles": []}, 422, ("bundles", "length")),
        (
            "payload not base64",
            {"bundles": [{"payload": "%%%", "signature": "AAAA"}]},
            422,
            ("bundle 0: payload is not base64",),
        ),
    ]


def test_bad_readings_are_refused_with_the_field_and_store_nothing(
    api: Api, metered: Household
) -> None:
    for name, body, status, words in bad_batches(metered):
        before = readings_of(api, metered)
        error = assert_error(api.post(f"{SUNNYSIDE}/readings", METER, json=body), status)
        assert readings_of(api, metered) == before, name
        assert mentions(error, *words), (name, error)


def test_a_malformed_json_batch_is_refused_and_stores_nothing(api: Api, metered: Household) -> None:
    before = readings_of(api, metered)
    response = api.post(
        f"{SUNNYSIDE}/readings", METER, data=b"{\x00", content_type="application/json"
    )
    error = assert_error(response, 400)
    assert readings_of(api, metered) == before
    assert mentions(error, "json"), error


def test_a_batch_of_an_unregistered_meter_is_a_404_naming_the_meter(api: Api) -> None:
    stranger = fresh("u")
    assert meter_missing(api, stranger.meter_id)
    response = api.post(f"{SUNNYSIDE}/readings", METER, json=batch_of(stranger, 4))
    assert_error(response, 404, f"meter {stranger.meter_id} is not registered")
    assert meter_missing(api, stranger.meter_id)


def test_a_tampered_bundle_is_a_403_and_stores_nothing(api: Api, metered: Household) -> None:
    body = batch_of(metered, 4, offset=60)
    payload = json.loads(base64.b64decode(body["bundles"][0]["payload"]))
    payload["readings"][1][2] += 1  # one more Wh exported
    body["bundles"][0]["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    before = readings_of(api, metered)
    response = api.post(f"{SUNNYSIDE}/readings", METER, json=body)
    assert_error(
        response,
        403,
        f"readings of meter {metered.meter_id} on {YESTERDAY.isoformat()}: signature does "
        "not verify with the meter's device key",
    )
    assert readings_of(api, metered) == before


def test_a_replayed_batch_is_accepted_as_duplicates_and_adds_nothing(
    api: Api, metered: Household
) -> None:
    batch = batch_of(metered, 4, offset=20)
    before = readings_of(api, metered)
    first = api.ok("POST", f"{SUNNYSIDE}/readings", METER, 201, json=batch)
    assert (first["stored"], first["duplicates"]) == (4, 0)
    stored = readings_of(api, metered)
    assert len(stored) == len(before) + 4

    replay = api.post(f"{SUNNYSIDE}/readings", METER, json=batch)
    body = replay.get_json()
    assert replay.status_code == 201, body
    assert body == {**first, "stored": 0, "duplicates": 4, "meter_days": []}
    assert readings_of(api, metered) == stored


def test_a_green_button_upload_that_is_not_xml_is_a_400_and_stores_nothing(
    api: Api, metered: Household
) -> None:
    before = readings_of(api, metered)
    query = {"meter": metered.meter_id}
    response = api.post(
        f"{SUNNYSIDE}/readings/green-button/payloads",
        METER,
        query_string=query,
        data=b"<feed><unclosed></feed>",
        content_type="application/atom+xml",
    )
    assert_error(response, 400, "green button xml")
    assert readings_of(api, metered) == before


def test_a_green_button_export_of_a_period_without_readings_is_a_clear_answer(
    api: Api, metered: Household
) -> None:
    """No readings in the period: an empty feed or a JSON 404, never a server error."""
    query = {"start": "2026-01-05T00:00:00Z", "end": "2026-01-06T00:00:00Z"}
    response = api.get(
        f"{SUNNYSIDE}/households/{metered.household_id}/readings/green-button",
        OPERATOR,
        query_string=query,
    )
    assert response.status_code in (200, 404), response.data[:300]
    if response.status_code == 404:
        assert_error(response, 404)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({"start": "yesterday", "end": DAY_QUERY["end"]}, 422, ("start", "utc")),
        ({"start": DAY_QUERY["start"]}, 422, ("end", "missing")),
        ({**DAY_QUERY, "per_page": 0}, 422, ("per_page",)),
        ({**DAY_QUERY, "per_page": 501}, 422, ("per_page",)),
        ({**DAY_QUERY, "page": "two"}, 422, ("page",)),
        ({"start": DAY_QUERY["end"], "end": DAY_QUERY["start"]}, 400, ("end must be after start",)),
    ],
    ids=["start not a time", "end missing", "per_page 0", "per_page 501", "page", "end first"],
)
def test_a_bad_query_names_the_parameter(
    api: Api, query: dict[str, Any], status: int, words: tuple[str, ...]
) -> None:
    response = api.get(f"{SUNNYSIDE}/households/h-001/readings", HOUSEHOLD, query_string=query)
    error = assert_error(response, status)
    assert mentions(error, *words), error


# -- meters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"device_public_key": None}, 422, ("device_public_key", "missing")),
        ({"feeder": 7}, 422, ("feeder", "string")),
        ({"device_public_key": "not a key"}, 400, ("device public key must be a PEM public key",)),
        ({"household_id": "x y"}, 400, ("household id 'x y' is invalid",)),
        ({"feeder": "F 1"}, 400, ("feeder 'F 1' is invalid",)),
    ],
    ids=["key missing", "feeder a number", "key not PEM", "household id", "feeder"],
)
def test_a_bad_meter_registration_registers_nothing(
    api: Api, change: dict[str, Any], status: int, words: tuple[str, ...]
) -> None:
    household = fresh("r")
    meter = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": KEYS.public_pem(household.meter_id),
        **change,
    }
    body = {k: v for k, v in meter.items() if v is not None}
    assert meter_missing(api, household.meter_id)
    error = assert_error(api.post(f"{SUNNYSIDE}/meters", OPERATOR, json=body), status)
    assert meter_missing(api, household.meter_id)
    assert mentions(error, *words), error


# -- authentication -------------------------------------------------------------------------


class PastSigner(TimestampSigner):
    """Signs as if an hour ago: a token past any TTL the API uses."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


def expired_token(api: Api) -> str:
    api.headers(OPERATOR)  # the wallet entry the token names exists
    serializer = URLSafeTimedSerializer(
        api.app.config["SECRET_KEY"], salt="gridledger-login", signer=PastSigner
    )
    return str(serializer.dumps({"label": "operator1", "org": "utility"}))


def forged_token() -> str:
    serializer = URLSafeTimedSerializer("not the api's key", salt="gridledger-login")
    return str(serializer.dumps({"label": "operator1", "org": "utility"}))


AUTH_CASES = {
    "expired token": lambda api: {"Authorization": f"Bearer {expired_token(api)}"},
    "another org's token": lambda api: api.headers(ROLES["household"]),
    "forged token": lambda api: {"Authorization": f"Bearer {forged_token()}"},
    "garbage token": lambda api: {"Authorization": "Bearer not-a-token"},
    "unknown API key": lambda api: {"X-API-Key": "not-a-key"},
    "no credentials": lambda api: {},
}


@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_a_request_without_valid_credentials_is_a_401_and_writes_nothing(
    api: Api, case: str
) -> None:
    event_id = f"bad-auth-{uuid.uuid4().hex[:8]}"
    event = {"event_id": event_id, "event_type": "OUTAGE", "feeder": "F-1", "start": INTERVAL}
    response = api.call(
        "POST", f"{SUNNYSIDE}/grid-events", headers=AUTH_CASES[case](api), json=event
    )
    error = assert_error(response, 401)
    if case == "expired token":
        assert error["message"] == "the token has expired: log in again"
    assert_error(api.get(f"{SUNNYSIDE}/grid-events/{event_id}", REGULATOR), 404, "is not recorded")


def test_a_login_with_a_wrong_secret_is_a_401_naming_the_ca(api: Api) -> None:
    credentials = {"org": "community", "enrollment_id": "household1", "secret": "wrong-secret"}
    response = api.post("/auth/login", json=credentials, org="community")
    assert_error(response, 401, "the CommunityMSP CA refused the enrolment of household1")


@pytest.mark.parametrize("org", ["community", "bank"])
def test_a_login_at_another_orgs_api_is_a_400_naming_the_right_api(api: Api, org: str) -> None:
    credentials = {"org": org, "enrollment_id": "household1", "secret": "x"}
    error = assert_error(api.post("/auth/login", json=credentials, org="utility"), 400)
    assert error["message"] == f"this is the API of utility; log in at the API of {org}"
    assert error["detail"] == {"org": ["This API serves utility."]}
