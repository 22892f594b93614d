"""Back-pressure through the real network: an API allowed one submission in flight answers
the head-end's extra concurrent posts with 429 at once, and posting them again after
Retry-After stores every reading exactly once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import ROLES, SUNNYSIDE, Api, api_session
from community_fixtures import KEYS, posted

from network.scenario import Household, community, day_readings

pytestmark = pytest.mark.usefixtures("fabric_network")

OPERATOR, METER = ROLES["operator"], ROLES["meter"]
DAYS = 6


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session(MAX_SUBMISSIONS=1) as session:
        yield session


def test_posts_over_the_limit_get_429_and_their_retries_store_each_reading_once(api: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    household: Household = replace(community()[4], household_id=f"h-bp{tag}", meter_id=f"m-bp{tag}")
    meter = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": KEYS.public_pem(household.meter_id),
    }
    api.ok("POST", f"{SUNNYSIDE}/meters", OPERATOR, 201, json=meter)
    first = (datetime.now(UTC) - timedelta(days=DAYS + 1)).date()
    bodies = [
        posted(household, day_readings(household, first + timedelta(days=n))) for n in range(DAYS)
    ]
    headers = api.headers(METER)
    client = api.client_of("utility")
    answers: dict[int, Any] = {}

    def post(n: int) -> None:
        answers[n] = api.client_of("utility").post(
            f"{SUNNYSIDE}/readings", json=bodies[n], headers=headers
        )

    threads = [threading.Thread(target=post, args=(n,)) for n in range(DAYS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(answer.status_code for answer in answers.values())
    assert set(statuses) == {201, 429}, statuses
    for n, answer in answers.items():
        if answer.status_code == 429:
            assert answer.headers["Retry-After"] == "1"
            while answer.status_code == 429:
                time.sleep(int(answer.headers["Retry-After"]))
                answer = client.post(f"{SUNNYSIDE}/readings", json=bodies[n], headers=headers)
            assert answer.status_code == 201, answer.get_json()

    query = {
        "start": f"{first.isoformat()}T00:00:00Z",
        "end": f"{(first + timedelta(days=DAYS)).isoformat()}T00:00:00Z",
        "per_page": 500,
    }
    path = f"{SUNNYSIDE}/households/{household.household_id}/readings"
    stored = []
    for page in (1, 2):
        stored += api.ok("GET", path, OPERATOR, 200, query_string={**query, "page": page})["items"]
    starts = [r["interval_start"] for r in stored]
    assert len(starts) == len(set(starts)) == DAYS * 96
