"""Workload (b): sealed offers and bids from N households, and the clearing of each interval.

Every household of the run gets its own identity at the community's CA (role
household, its household_id attribute) and signs its own orders, which go to the
community's peer as a household's app would send them. Each interval, every household
places one order: even-numbered ones offer, odd-numbered ones bid. The intervals lie
in a far-future day picked by the run's tag, so no other run or test shares them.

As soon as all N orders of an interval have settled (committed or failed), the
utility's operator clears it while the next interval's orders keep arriving: gate
closure as the scheduler runs it in production. Orders and clearings are measured in
the same window, so the CPU figures cover both; the report books them on the orders.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import cpu
from bench.experiments import CHANNEL, Bench, result_of
from bench.loadgen import Window, closed_loop, timed
from bench.results import Result
from bench.submission import submit_long_form
from client import (
    AsyncContract,
    AsyncGateway,
    connect_async,
    load_identity,
    load_private_key,
    new_private_key_signer,
)
from network.ca import Enrollee, OrgCA, private_key
from network.console import info
from network.home import OrgHome
from network.topology import COMMUNITY

INTERVAL = timedelta(minutes=15)
ENROL_AT_ONCE = 4
MAX_ORDERS_PER_S = 400  # far above anything measured here, so a run never runs dry


@dataclass(frozen=True)
class Order:
    """One PlaceOrder transaction: whose, for which interval, and its transient payload."""

    trader: int
    interval_start: str
    payload: bytes


def far_future_start(tag: str) -> datetime:
    """Midnight of a day in 2300-2399 picked by the run's tag: no run shares its intervals."""
    day = int(tag.lstrip("b"), 16) % 36_500
    return datetime(2300, 1, 1, tzinfo=UTC) + timedelta(days=day)


def interval_start(first: datetime, n: int) -> str:
    return (first + n * INTERVAL).strftime("%Y-%m-%dT%H:%M:00Z")


def orders(tag: str, traders: int, count: int) -> Iterator[Order]:
    """`count` orders, interval after interval, one per household per interval.

    Prices and quantities vary with the household and the interval, so that every
    clearing matches some offers and bids and leaves others out.
    """
    first = far_future_start(tag)
    for n in range(count):
        interval, trader = divmod(n, traders)
        start = interval_start(first, interval)
        order = {
            "order_id": f"o-{tag}-{interval:05d}-{trader:03d}",
            "side": "offer" if trader % 2 == 0 else "bid",
            "interval_start": start,
            "energy_wh": 100 + (37 * trader + 11 * interval) % 900,
            "price_per_kwh": 8 + (13 * trader + 7 * interval) % 30,
            "salt": base64.urlsafe_b64encode(secrets.token_bytes(18)).decode(),
        }
        yield Order(trader, start, json.dumps(order).encode())


def enrol(household_id: str, tag: str) -> tuple[Path, Path]:
    """An identity for one household at the community's CA: its certificate and key files."""
    ca = OrgCA(OrgHome.of(COMMUNITY.key))
    who = Enrollee(
        f"app-{tag}-{household_id}", "client", {"role": "household", "household_id": household_id}
    )
    ca.register(ca.registrar(), who)
    ca.enroll(who)
    msp = ca.home.identity_msp(who.name)
    return msp / "signcerts" / "cert.pem", private_key(msp)


async def enrol_all(household_ids: list[str], tag: str) -> list[tuple[Path, Path]]:
    """`enrol` a few at a time: each registration and enrolment is a round trip to the CA."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(ENROL_AT_ONCE, thread_name_prefix="enrol") as pool:
        return list(
            await asyncio.gather(
                *(loop.run_in_executor(pool, enrol, hid, tag) for hid in household_ids)
            )
        )


@dataclass
class Market:
    """The households' contracts (over one channel to the community's peer) and the operator's."""

    traders: list[AsyncContract]
    operator_gateway: AsyncGateway
    channel: object

    @property
    def operator(self) -> AsyncContract:
        return self.operator_gateway.get_network(CHANNEL).get_contract(
            "community", "MarketContract"
        )

    @classmethod
    async def open(cls, bench: Bench, count: int) -> Market:
        homes = bench.homes[:count]
        info(f"market: enrolling {count} households at {COMMUNITY.msp_id}'s CA")
        files = await enrol_all([h.household_id for h in homes], bench.tag)
        cert, key = files[0]
        channel = connect_async(
            COMMUNITY.peer_address,
            tls_root_cert=OrgHome.of(COMMUNITY.key).ca_cert.read_bytes(),
            client_cert=cert.read_bytes(),
            client_key=key.read_bytes(),
        )
        traders = [
            AsyncGateway(
                load_identity(COMMUNITY.msp_id, cert),
                new_private_key_signer(load_private_key(key)),
                channel,
                commit_status_timeout=60,
            )
            .get_network(CHANNEL)
            .get_contract("community", "MarketContract")
            for cert, key in files
        ]
        return cls(traders, bench.gateways["operator1"], channel)

    async def operator_peer_has(self, transaction_id: str) -> None:
        """Wait until the operator's peer has committed `transaction_id`'s block.

        A household hears of its commit from its own peer; the utility's may be a block
        behind, and clearing before it caught up would be endorsed on two different
        order books, so the scheduler waits for the newest order of the interval.
        """
        network = self.operator_gateway.get_network(CHANNEL)
        await network.get_commit(transaction_id).status()

    async def close(self) -> None:
        await self.channel.close()  # type: ignore[attr-defined]


async def market_run(bench: Bench, traders: int, concurrency: int) -> tuple[Result, Result]:
    """`traders` households' orders, `concurrency` in flight; each interval cleared once full."""
    market = await Market.open(bench, traders)
    settled: Counter[str] = Counter()
    newest: dict[str, tuple[int, str]] = {}
    clearings: list[asyncio.Task[None]] = []
    matched: Counter[str] = Counter()
    cleared = Window(0, bench.settings.duration)

    async def clear(interval: str) -> int:
        if interval in newest:
            await market.operator_peer_has(newest[interval][1])
        done = await submit_long_form(market.operator, "ClearInterval", (interval,))
        record = json.loads(done.result)
        matched["trades"] += record["trades"]
        matched["wh"] += record["matched_wh"]
        return traders

    async def place(order: Order) -> int:
        try:
            trader = market.traders[order.trader]
            done = await submit_long_form(trader, "PlaceOrder", transient={"order": order.payload})
            newest[order.interval_start] = max(
                newest.get(order.interval_start, (-1, "")), (done.block_number, done.transaction_id)
            )
        finally:
            settled[order.interval_start] += 1
            if settled[order.interval_start] == traders:
                due = timed(clear, order.interval_start, time.monotonic(), cleared)
                clearings.append(asyncio.create_task(due))
        return 1

    ceiling = int((bench.settings.duration + bench.settings.warmup) * MAX_ORDERS_PER_S) + traders
    spending = asyncio.create_task(cpu.during(bench.settings.warmup, bench.settings.duration))
    cleared.start = time.monotonic() + bench.settings.warmup
    try:
        window = await closed_loop(
            place,
            orders(bench.tag, traders, ceiling),
            concurrency,
            bench.settings.duration,
            bench.settings.warmup,
        )
        spent = await spending
        await asyncio.gather(*clearings)
    finally:
        await market.close()
    info(f"market: {matched['trades']} trades, {matched['wh'] / 1000:,.1f} kWh matched")
    placed = result_of(
        f"market: PlaceOrder by {traders} households, closed {concurrency}",
        "python",
        "community",
        "closed",
        concurrency,
        1,
        window,
        spent,
    )
    clearing = result_of(
        f"market: ClearInterval of {traders} orders each, as intervals fill",
        "python",
        "community",
        "triggered",
        1,
        traders,
        cleared,
        {},
    )
    return placed, clearing
