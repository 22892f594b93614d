"""The gridledger command-line tool against the real network, as an operator runs it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from community_fixtures import (
    DAY,
    DAY_END,
    DAY_START,
    KEYS,
    contract,
    fresh_household,
    register,
)
from homes import home, secret

from client.greenbutton import export_readings
from gridspec.readings import CLOCK_SKEW
from network.connect import gateway
from network.scenario import community, day_readings
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "GRIDLEDGER_WALLET_PASSPHRASE": "correct horse battery staple"}

    def run(org: Org, *args: str) -> subprocess.CompletedProcess:
        """The tool as a person of `org`: with that org's connection profile."""
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from client.cli import main; raise SystemExit(main())",
                "--wallet",
                str(folder / "wallet"),
                "--profile",
                str(home(org).profile),
                "--community",
                "sunnyside",
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    identities = (
        (UTILITY, "headend1"),
        (UTILITY, "operator1"),
        (COMMUNITY, "household1"),
        (REGULATOR, "auditor1"),
    )
    for org, user in identities:
        enrolled = run(org, "enrol", "--id", user, f"--secret={secret(org, user)}")
        assert enrolled.returncode == 0, enrolled.stderr
        assert json.loads(enrolled.stdout)["label"] == f"{org.key}.{user}"
    return run, folder


def test_a_head_end_submits_green_button_days_and_a_reading_is_disclosed_and_verified(cli):
    """Three days of a meter as a Green Button feed, signed with the keys the utility's
    head-end keeps, in transactions of two bundles; then one reading is disclosed and
    checked offline against the commitment the regulator's peer holds."""
    run, folder = cli
    household = fresh_household()
    register(household)
    days = [DAY - timedelta(days=n) for n in (2, 1, 0)]
    readings = [
        {**r, "meter_id": household.meter_id} for day in days for r in day_readings(household, day)
    ]
    feed = export_readings(
        readings, household_id=household.household_id, meter_id=household.meter_id, title="cli"
    )
    (folder / "feed.xml").write_bytes(feed)
    submitted = run(
        UTILITY,
        "submit-readings",
        "--as",
        "utility.headend1",
        "--meter",
        household.meter_id,
        "--file",
        str(folder / "feed.xml"),
        "--keys",
        str(KEYS.folder),
        "--bundles-per-tx",
        "2",
    )
    assert submitted.returncode == 0, submitted.stderr
    assert "transaction 2/2: 1 bundles, 96 readings stored, 0 already there" in submitted.stderr
    summary = json.loads(submitted.stdout)
    assert (summary["bundles"], summary["stored"], summary["transactions"]) == (3, 288, 2)

    shown = run(
        UTILITY,
        "readings",
        "--as",
        "utility.operator1",
        "--household",
        household.household_id,
        "--start",
        f"{days[0].isoformat()}T00:00:00Z",
        "--end",
        DAY_END,
    )
    assert shown.returncode == 0, shown.stderr
    assert [r["import_wh"] for r in json.loads(shown.stdout)] == [r["import_wh"] for r in readings]

    interval = f"{DAY.isoformat()}T12:00:00Z"
    out = folder / "disclosed.json"
    disclosed = run(
        UTILITY,
        "disclose",
        "--as",
        "utility.operator1",
        "--meter",
        household.meter_id,
        "--interval",
        interval,
        "--out",
        str(out),
    )
    assert disclosed.returncode == 0, disclosed.stderr
    assert json.loads(out.read_text())["reading"]["interval_start"] == interval
    with gateway(REGULATOR, "auditor1") as gw:
        held = json.loads(
            contract(gw, "ReadingContract").evaluate(
                "GetReadingCommitment", args=(household.meter_id, DAY.isoformat())
            )
        )
    offline = run(UTILITY, "verify-disclosure", str(out), "--commitment", held["sha256"])
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout)["verified"] is True
    online = run(UTILITY, "verify-disclosure", str(out), "--as", "utility.operator1")
    assert (online.returncode, json.loads(online.stdout)["sha256"]) == (0, held["sha256"])


def test_a_year_of_hourly_green_button_data_imports_in_a_few_transactions(cli):
    """8,760 hourly readings (the last 365 days), one feed: 365 day bundles, 4
    transactions of at most 100, every reading back with the file's value."""
    run, folder = cli
    household = fresh_household()
    register(household)
    # yesterday, as the ledger sees it: its last reading counts once the clock skew is past
    today = (datetime.now(UTC) - CLOCK_SKEW).date()
    first = today - timedelta(days=366)
    readings = [
        {
            "meter_id": household.meter_id,
            "interval_start": f"{first + timedelta(days=d)}T{h:02d}:00:00Z",
            "interval_minutes": 60,
            "import_wh": 200 + (d * 24 + h) % 900,
            "export_wh": (d + h) % 7 * 150 if 9 <= h <= 15 else 0,
        }
        for d in range(365)
        for h in range(24)
    ]
    feed = export_readings(
        readings, household_id=household.household_id, meter_id=household.meter_id, title="year"
    )
    (folder / "year.xml").write_bytes(feed)
    submitted = run(
        UTILITY,
        "submit-readings",
        "--as",
        "utility.headend1",
        "--meter",
        household.meter_id,
        "--file",
        str(folder / "year.xml"),
        "--keys",
        str(KEYS.folder),
    )
    assert submitted.returncode == 0, submitted.stderr
    summary = json.loads(submitted.stdout)
    assert (summary["readings"], summary["bundles"], summary["transactions"]) == (8760, 365, 4)
    assert summary["stored"] == 8760
    shown = run(
        UTILITY,
        "readings",
        "--as",
        "utility.operator1",
        "--household",
        household.household_id,
        "--start",
        f"{first}T00:00:00Z",
        "--end",
        f"{first + timedelta(days=365)}T00:00:00Z",
    )
    assert shown.returncode == 0, shown.stderr
    back = {r["interval_start"]: (r["import_wh"], r["export_wh"]) for r in json.loads(shown.stdout)}
    assert back == {r["interval_start"]: (r["import_wh"], r["export_wh"]) for r in readings}


def test_a_refused_command_exits_1_with_the_reason_and_sends_nothing(cli):
    run, _ = cli
    refused = run(
        COMMUNITY, "clear", "--as", "community.household1", "--interval", "2026-03-01T12:00:00Z"
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: caller from CommunityMSP (community) may not call ClearInterval; allowed: utility"
    )
    other = run(
        COMMUNITY,
        "readings",
        "--as",
        "community.household1",
        "--household",
        "h-002",
        "--start",
        DAY_START,
        "--end",
        DAY_END,
    )
    assert (other.returncode, other.stderr.strip()) == (
        1,
        "error: household h-001 may not read household h-002",
    )


def test_a_wrong_wallet_passphrase_is_a_clear_error(cli):
    _, folder = cli
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from client.cli import main; raise SystemExit(main())",
            "--wallet",
            str(folder / "wallet"),
            "--profile",
            str(home(COMMUNITY).profile),
            "readings",
            "--as",
            "community.household1",
            "--household",
            "h-001",
            "--start",
            DAY_START,
            "--end",
            DAY_END,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GRIDLEDGER_WALLET_PASSPHRASE": "wrong"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "passphrase" in result.stderr


def test_an_identity_of_another_org_needs_that_orgs_profile(cli):
    run, _ = cli
    result = run(
        UTILITY,
        "readings",
        "--as",
        "community.household1",
        "--household",
        "h-001",
        "--start",
        DAY_START,
        "--end",
        DAY_END,
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "error: community.household1 is an identity of community: "
        "give community's connection profile",
    )


def evening_interval() -> str:
    """An interval of the evening three days ago with no order yet: no other test trades
    or bills there (they take nights, midday and afternoons)."""
    start = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    start -= timedelta(days=3)
    with gateway(REGULATOR, "auditor1") as gw:
        market = contract(gw, "MarketContract")
        for slot in range(16):
            interval = (start + slot * timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
            book = json.loads(market.evaluate("GetOrderBook", args=(interval,)))
            if book["orders"] == 0 and not book["cleared"]:
                return interval
    pytest.fail("every evening interval three days ago has orders; run `make clean`")


def test_the_regulator_audits_a_clearing_from_the_orders_the_utility_discloses(cli, tmp_path):
    run, _ = cli
    households = community()
    for household in households[:2]:
        register(household)
    interval = evening_interval()
    for user, side, price in (("household1", "offer", 9), ("household2", "bid", 21)):
        order = {
            "order_id": f"o-cli-{uuid.uuid4().hex[:8]}",
            "side": side,
            "interval_start": interval,
            "energy_wh": 120,
            "price_per_kwh": price,
            "salt": base64.urlsafe_b64encode(os.urandom(18)).decode(),
        }
        with gateway(COMMUNITY, user) as gw:
            contract(gw, "MarketContract").submit(
                "PlaceOrder", transient={"order": json.dumps(order).encode()}
            )
    cleared = run(UTILITY, "clear", "--as", "utility.operator1", "--interval", interval)
    assert cleared.returncode == 0, cleared.stderr
    assert f"cleared {interval}: price 15, 120 Wh in 1 trades" in cleared.stderr

    file = tmp_path / "orders.json"
    disclosed = run(
        UTILITY, "disclose-orders", "--as", "utility.operator1", "--interval", interval,
        "--out", str(file),
    )  # fmt: skip
    assert disclosed.returncode == 0, disclosed.stderr
    assert file.stat().st_mode & 0o777 == 0o600
    audit = ("audit-clearing", "--as", "regulator.auditor1", "--interval", interval)
    verified = run(REGULATOR, *audit, "--disclosure", str(file))
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["verified"] is True

    record = json.loads(file.read_text())
    for order in record["orders"]:
        if order["side"] == "bid":
            order["max_price_per_kwh"] = 30
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(record))
    refused = run(REGULATOR, *audit, "--disclosure", str(forged))
    assert refused.returncode == 1
    assert "problem: 1 orders differ from their commitments" in refused.stderr
    assert f"error: the clearing of {interval} is NOT verified" in refused.stderr
