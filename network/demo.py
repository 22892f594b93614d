"""The `make run` demo: a day of the Sunnyside community, each step by the org whose people act.

Yesterday (UTC) in the simulated community of `network/scenario.py`. Every step runs
as one org (`python -m network demo-step --org <org> <step>`), through that org's own
API, logged in as that org's people with the secrets its own CA issued:

    register        each org's admin registers its org in the member registry
    tariff          the utility's operator proposes the time-of-use tariff
    approve         the regulator's auditor approves it
    meter-day       the operator registers 20 meters, each with a device key drawn at
                    random and kept in the utility's home; the head-end submits their
                    1,920 readings as 20 signed day bundles into the private collection
    orders          four households place sealed offers and bids for four midday slots
    clear           the operator clears the four auctions
    settle          the billing system settles them against the meters and issues two
                    invoices
    disclose        household h-001 discloses its 12:00 reading with its Merkle proof
                    (a file); the reading's neighbours stay hidden
    verify          the regulator verifies the disclosure against the commitment its
                    own peer keeps, and reads the member registry back

The disclosed reading is the one thing that travels between orgs, as a public file.
Every step is idempotent, so the demo can be re-run on the same ledger.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from client.bundles import MeterKeys
from gridspec.readings import CLOCK_SKEW
from network.api_server import login, request, service_keys
from network.console import NetworkError, info, step
from network.home import OrgHome, write_private, write_public
from network.scenario import Household, community, day_readings, signed_days
from network.topology import ADMIN_USER

if TYPE_CHECKING:
    from network.local import Consortium

COMMUNITY = "sunnyside"
FMT = "%Y-%m-%dT%H:%M:%SZ"
TARIFF = {
    "tariff_id": "sunnyside-tou-2026",
    "currency": "EUR",
    "bands": [
        {"name": "night", "start": "21:00", "end": "07:00", "import_price_per_kwh": 18},
        {"name": "day", "start": "07:00", "end": "17:00", "import_price_per_kwh": 28},
        {"name": "peak", "start": "17:00", "end": "21:00", "import_price_per_kwh": 42},
    ],
    "feed_in_price_per_kwh": 8,
    "p2p_grid_fee_per_kwh": 3,
    "daily_fixed_charge": 40,
    "valid_from": "2026-01-01",
}
TRADERS = {
    "h-001": "household1",
    "h-002": "household2",
    "h-009": "household9",
    "h-010": "household10",
}
MIDDAY_SLOTS = range(48, 52)
INVOICED = ("h-001", "h-009")


@dataclass
class OrgApi:
    """One org's API, used by its own people: a login per person, an API key per service."""

    home: OrgHome
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        keys = service_keys(self.home)
        if user in keys:
            return {"X_API_Key": keys[user]}
        if user not in self.tokens:
            self.tokens[user] = login(self.home, user)
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        return request(self.home, method, path, body, **self.auth(user))

    def community(self, user: str, method: str, path: str, body: Any = None) -> Any:
        return self.call(user, method, f"/communities/{COMMUNITY}{path}", body)


def demo_day() -> date:
    """The day the demo replays: yesterday (as the ledger sees it, whose day's last
    reading counts once the clock skew is past), or, when the traders' panels exported
    nothing at midday then, the most recent day of the past six they did (orders for an
    interval are taken for seven days). A grey day has no surplus to sell, and its
    market would trade nothing."""
    return sunny_day_before((datetime.now(UTC) - CLOCK_SKEW).date())


@functools.cache
def sunny_day_before(today: date) -> date:
    by_id = households()
    for back in range(1, 7):
        day = today - timedelta(days=back)
        for household_id in TRADERS:
            readings = day_readings(by_id[household_id], day)
            if any(int(readings[slot]["export_wh"]) > 0 for slot in MIDDAY_SLOTS):
                return day
    return today - timedelta(days=1)


def slots(day: date) -> list[str]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return [(start + n * timedelta(minutes=15)).strftime(FMT) for n in MIDDAY_SLOTS]


def households() -> dict[str, Household]:
    return {h.household_id: h for h in community()}


# ----------------------------------------------------------------------------- steps


def register(api: OrgApi, _: Path | None) -> None:
    org = api.home.org
    body = {"name": org.display_name, "kind": org.kind}
    record = api.call(ADMIN_USER.name, "PUT", f"/members/{org.msp_id}", body)
    info(f"{org.msp_id}: in the member registry as {record['name']!r} ({record['status']})")


def tariff(api: OrgApi, _: Path | None) -> None:
    record = api.community("operator1", "POST", "/tariffs", TARIFF)
    info(f"tariff {TARIFF['tariff_id']} proposed by {record['proposed_by']}")


def approve(api: OrgApi, _: Path | None) -> None:
    record = api.community("auditor1", "POST", f"/tariffs/{TARIFF['tariff_id']}/approval")
    info(f"tariff {TARIFF['tariff_id']} approved by {record['approved_by']}")


def meter_day(api: OrgApi, _: Path | None) -> None:
    day = demo_day()
    keys = MeterKeys(api.home.meter_keys)
    imported = exported = 0
    bundles = []
    for household in households().values():
        meter = {
            "meter_id": household.meter_id,
            "household_id": household.household_id,
            "feeder": household.feeder,
            "device_public_key": keys.public_pem(household.meter_id),
        }
        api.community("operator1", "POST", "/meters", meter)
        readings = day_readings(household, day)
        bundles += [b.wire() for b in signed_days(keys, household, readings)]
        imported += sum(int(r["import_wh"]) for r in readings)
        exported += sum(int(r["export_wh"]) for r in readings)
    stored = api.community("headend1", "POST", "/readings", {"bundles": bundles})["stored"]
    count = len(households())
    info(
        f"{count} meters, {count * 96} readings ({stored} new) in the private collection: "
        f"{imported / 1000:.1f} kWh imported, {exported / 1000:.1f} kWh exported"
    )


def orders(api: OrgApi, _: Path | None) -> None:
    day = demo_day()
    by_id = households()
    salts = OrderSalts(api.home.sub("households", "order-salts.json"))
    for interval in slots(day):
        book = api.community("household1", "GET", f"/intervals/{interval}/order-book")
        if book["cleared"]:
            continue
        for household_id, user in TRADERS.items():
            body = order(by_id[household_id], interval, day, salts)
            api.community(user, "POST", "/orders", body)
        info(f"{interval}: {len(TRADERS)} sealed orders placed")


@dataclass
class OrderSalts:
    """The salts the households' apps drew for their orders, kept in the community's home
    so that placing the same order again (a re-run demo) sends the same sealed order."""

    path: Path

    def of(self, order_id: str) -> str:
        known = json.loads(self.path.read_text()) if self.path.exists() else {}
        if order_id not in known:
            known[order_id] = secrets.token_urlsafe(18)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(self.path, json.dumps(known, indent=1))
        return str(known[order_id])


def order(household: Household, interval: str, day: date, salts: OrderSalts) -> dict[str, Any]:
    reading = next(r for r in day_readings(household, day) if r["interval_start"] == interval)
    selling = int(reading["export_wh"]) > 0
    order_id = f"demo-{household.household_id}-{interval[:16].replace(':', '')}"
    return {
        "order_id": order_id,
        "side": "offer" if selling else "bid",
        "interval_start": interval,
        "energy_wh": max(int(reading["export_wh"] if selling else reading["import_wh"]), 1),
        "price_per_kwh": 9 + int(household.household_id[-1]) if selling else 26,
        "salt": salts.of(order_id),
    }


def clear(api: OrgApi, _: Path | None) -> None:
    for interval in slots(demo_day()):
        book = api.community("operator1", "GET", f"/intervals/{interval}/order-book")
        if not book["cleared"]:
            api.community("operator1", "POST", f"/intervals/{interval}/clearing")
        result = api.community("operator1", "GET", f"/intervals/{interval}/clearing")
        info(
            f"{interval}: {result['offers']} offers and {result['bids']} bids, price "
            f"{result['price_per_kwh']} c/kWh, {result['matched_wh']} Wh traded"
        )


def settle(api: OrgApi, _: Path | None) -> None:
    day = demo_day()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    window = f"start={start.strftime(FMT)}&end={(start + timedelta(days=1)).strftime(FMT)}"
    trades = api.community("billing1", "GET", f"/trades?{window}&per_page=500")["items"]
    for interval in sorted({t["interval_start"] for t in trades if t["status"] == "matched"}):
        api.community("billing1", "POST", f"/intervals/{interval}/settlement")
    for trade in api.community("billing1", "GET", f"/trades?{window}&per_page=500")["items"]:
        info(
            f"trade {trade['trade_id']}: {trade['seller']} -> {trade['buyer']} "
            f"{trade['energy_wh']} Wh at {trade['price_per_kwh']} c/kWh, {trade['status']}"
        )
    period = (day.isoformat(), (day + timedelta(days=1)).isoformat())
    for household_id in INVOICED:
        body = {"household_id": household_id, "period_start": period[0], "period_end": period[1]}
        try:
            record = api.community("billing1", "POST", "/invoices", body)
        except NetworkError as exc:
            if " 409 " not in str(exc):
                raise
            path = f"/households/{household_id}/invoices/{period[0]}/{period[1]}"
            record = api.community("billing1", "GET", path)
        info(f"invoice {household_id} {period[0]}: total {record['total']} cents")


def disclose(api: OrgApi, out: Path | None) -> None:
    if out is None:
        raise NetworkError("disclose needs --out: where to write the disclosed reading")
    day = demo_day().isoformat()
    meter_id = households()["h-001"].meter_id
    path = f"/meters/{meter_id}/readings/{day}T12:00:00Z/disclosure"
    disclosure = api.community("household1", "GET", path)
    write_public(out, json.dumps(disclosure, indent=2) + "\n")
    info(f"h-001 discloses its {day} 12:00 reading and its proof to the regulator: {out}")


def verify(api: OrgApi, file: Path | None) -> None:
    if file is None:
        raise NetworkError("verify needs the disclosed reading: --file")
    disclosure = json.loads(file.read_text())
    verdict = api.community("auditor1", "POST", "/readings/verify", disclosure)
    ok = "verified" if verdict["verified"] else "NOT verified"
    info(f"regulator checks h-001's disclosed reading against its peer's commitment: {ok}")
    if not verdict["verified"]:
        raise NetworkError("the disclosed reading does not match the hash on the ledger")
    for member in api.call("auditor1", "GET", "/members?per_page=100")["items"]:
        info(f"member {member['msp_id']:14} {member['kind']:10} {member['name']}")


STEPS: dict[str, Callable[[OrgApi, Path | None], None]] = {
    "register": register,
    "tariff": tariff,
    "approve": approve,
    "meter-day": meter_day,
    "orders": orders,
    "clear": clear,
    "settle": settle,
    "disclose": disclose,
    "verify": verify,
}


def run_step(home: OrgHome, name: str, file: Path | None) -> None:
    step(f"demo, {home.org.key}: {name}")
    STEPS[name](OrgApi(home), file)


def run_demo(consortium: Consortium) -> None:
    """The whole day, each step as its org, on the orgs of this machine."""
    keys = consortium.org_keys()
    disclosed = consortium.published("community", "demo-disclosed-reading.json")
    for key in keys:
        consortium.run(key, "demo-step", "register")
    plan = [
        ("utility", "tariff"),
        ("regulator", "approve"),
        ("utility", "meter-day"),
        ("community", "orders"),
        ("utility", "clear"),
        ("utility", "settle"),
    ]
    for key, name in plan:
        consortium.run(key, "demo-step", name)
    consortium.run("community", "demo-step", "disclose", "--file", str(disclosed))
    consortium.run("regulator", "demo-step", "verify", "--file", str(disclosed))
