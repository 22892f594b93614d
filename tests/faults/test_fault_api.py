"""The API process dies mid-batch, and the ordering service loses its quorum.

The API under test is the real one, served by waitress as `make api` serves it, and
the head-end reaches it over HTTP with its API key. A batch whose answer never came
is sent again, the same bytes: the ledger stores a meter-day bundle once however
often it arrives.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from faultload import ReadingLoad, kill, on_ledger_once, recovered, restart_network

from gridspec.signed_bundle import SignedBundle
from network import api_server
from network.home import OrgHome
from network.procs import owned_pid, stop_pid_file
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

TIMEOUT = 90


HOME = OrgHome.of(UTILITY.key)  # the head-end uses its own org's API: the utility's


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    """The utility API's URL; started for this module unless it was running already."""
    started_here = not owned_pid(api_server.process(HOME).pid_file)
    api_server.start_api(HOME)
    yield HOME.org.api_url
    if started_here:
        stop_pid_file(api_server.process(HOME).pid_file)


def post_readings(url: str, bundle: SignedBundle) -> tuple[int, dict]:
    """POST /readings of one signed bundle as the meter head-end; the status and JSON body."""
    request = urllib.request.Request(
        f"{url}/communities/sunnyside/readings",
        data=json.dumps({"bundles": [bundle.wire()]}).encode(),
        headers={
            "Content-Type": "application/json",
            "X-API-Key": api_server.service_keys(HOME)["headend1"],
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def sender(url: str):
    def send(bundle: SignedBundle) -> None:
        status, body = post_readings(url, bundle)
        if status != 201:
            raise OSError(f"HTTP {status}: {body.get('message')}")

    return send


def test_the_api_dies_mid_batch_and_every_acknowledged_reading_is_on_the_ledger_once(api):
    load = ReadingLoad(send=sender(api))
    load.start()
    try:
        load.wait_for_more(than=8)
        kill("api-utility")
        started = time.monotonic()
        api_server.start_api(HOME)
        load.wait_for_more(than=load.count())
        recovered("API restart", time.monotonic() - started)
    finally:
        load.stop()
    assert load.failures, "the load saw the API go away"
    on_ledger_once(load)


def test_without_an_orderer_quorum_the_api_answers_503_and_recovers_by_itself(api):
    load = ReadingLoad(send=sender(api))
    batches = load.batches()
    assert post_readings(api, load.sign(next(batches)))[0] == 201
    for org in (COMMUNITY, REGULATOR):
        kill(f"orderer-{org.key}")
    try:
        status, body = post_readings(api, load.sign(next(batches)))
        assert status == 503, body
        assert body["message"] == "the ledger is unavailable; try again shortly"
    finally:
        started = time.monotonic()
        restart_network()
    bundle = load.sign(next(batches))
    while (status := post_readings(api, bundle))[0] != 201:
        assert status[0] in (409, 502, 503) and time.monotonic() - started < TIMEOUT, status
        time.sleep(1)
    recovered("ordering quorum back, API answering 201", time.monotonic() - started)
