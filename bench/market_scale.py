"""Workload (c): a city-sized market interval: 10,000 households, one sealed order each.

Every household gets its meter registered and its own identity at the community's CA
(role household, its household_id), as a city's would; enrolment is set-up, not
measured (Fabric CA hashes each secret with bcrypt twice, about 14 identities a
second on two cores). Then every household places one order for the same interval,
`concurrency` in flight, and the utility's operator clears the interval: all of its
orders in one ClearInterval transaction. Both are measured with the CPU every process
spent on them, so the report gives orders/s, the clearing's time and what the peers
paid for each.

The identities live in memory only: nothing of them is written to the community's
home, and they end with the run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from cryptography.hazmat.primitives import serialization

from bench import cpu
from bench.experiments import CHANNEL, Bench, identity_files, result_of
from bench.loadgen import Outcome, Window, closed_loop
from bench.market import far_future_start, interval_start
from bench.results import Result
from bench.submission import submit_long_form
from bench.workload import households, register
from client import (
    AsyncContract,
    AsyncGateway,
    CAClient,
    Enrollment,
    connect_async,
    load_identity,
    load_private_key,
    new_private_key_signer,
)
from network.ca import read_enrollment
from network.console import info
from network.home import OrgHome
from network.topology import COMMUNITY, UTILITY

ENROL_AT_ONCE = 4
CLEARING_DEADLINE = 300  # seconds
PROGRESS_EVERY = 1000


def enrol_all(household_ids: list[str], tag: str) -> list[Enrollment]:
    """An identity per household at the community's CA, a few at a time, in memory."""
    home = OrgHome.of(COMMUNITY.key)
    ca = CAClient(COMMUNITY.ca_url, COMMUNITY.ca_name, home.ca_cert.read_bytes())
    registrar = read_enrollment(home.identity_msp("admin"))
    done = 0

    def one(household_id: str) -> Enrollment:
        nonlocal done
        name = f"city-{tag}-{household_id}"
        attributes = {"role": "household", "household_id": household_id}
        enrolment = ca.enroll(name, ca.register(registrar, name, attributes=attributes))
        done += 1
        if done % PROGRESS_EVERY == 0:
            info(f"market at scale: {done:,} of {len(household_ids):,} households enrolled")
        return enrolment

    with ThreadPoolExecutor(ENROL_AT_ONCE, thread_name_prefix="enrol") as pool:
        return list(pool.map(one, household_ids))


def city_interval(run_tag: str) -> str:
    """Noon of the day before the market workload's far-future day: no other run's."""
    return interval_start(far_future_start(run_tag) - timedelta(days=1), 48)


def orders(tag: str, interval: str, count: int) -> Iterator[tuple[int, bytes]]:
    """One order per household for one interval: half offer, half bid, varied terms."""
    for n in range(count):
        order = {
            "order_id": f"o-{tag}-{n:05d}",
            "side": "offer" if n % 2 == 0 else "bid",
            "interval_start": interval,
            "energy_wh": 100 + (37 * n) % 900,
            "price_per_kwh": 8 + (13 * n) % 30,
            "salt": base64.urlsafe_b64encode(secrets.token_bytes(18)).decode(),
        }
        yield n, json.dumps(order).encode()


def traders(identities: list[Enrollment], channel: object) -> list[AsyncContract]:
    return [
        AsyncGateway(
            identity.identity(COMMUNITY.msp_id),
            identity.signer(),
            channel,
            commit_status_timeout=120,
        )
        .get_network(CHANNEL)
        .get_contract("community", "MarketContract")
        for identity in identities
    ]


def scheduler(bench: Bench) -> AsyncContract:
    """The operator's market contract with room for a city's clearing: one transaction
    that reads every order of the interval and writes every trade takes longer to
    endorse than the client's default deadline allows."""
    cert, key = identity_files("operator1")
    gateway = AsyncGateway(
        load_identity(UTILITY.msp_id, cert),
        new_private_key_signer(load_private_key(key)),
        bench.channel,
        endorse_timeout=CLEARING_DEADLINE,
        commit_status_timeout=CLEARING_DEADLINE,
    )
    return gateway.get_network(CHANNEL).get_contract("community", "MarketContract")


async def market_at_scale(bench: Bench, count: int, concurrency: int) -> tuple[Result, Result]:
    """`count` households' orders for one interval, then its clearing in one transaction."""
    tag = f"{bench.tag}s"
    homes = households(count, tag)
    info(f"market at scale: registering {count:,} meters")
    await register(bench.contract("operator1"), homes, concurrency=32)
    info(f"market at scale: enrolling {count:,} households at {COMMUNITY.msp_id}'s CA")
    loop = asyncio.get_running_loop()
    identities = await loop.run_in_executor(None, enrol_all, [h.household_id for h in homes], tag)
    first = identities[0]
    channel = connect_async(
        COMMUNITY.peer_address,
        tls_root_cert=OrgHome.of(COMMUNITY.key).ca_cert.read_bytes(),
        client_cert=first.certificate,
        client_key=first.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    contracts = traders(identities, channel)
    interval = city_interval(bench.tag)

    async def place(job: tuple[int, bytes]) -> int:
        n, payload = job
        await submit_long_form(contracts[n], "PlaceOrder", transient={"order": payload})
        return 1

    try:
        info(f"market at scale: {count:,} orders, {concurrency} in flight")
        before, started = cpu.snapshot(), time.monotonic()
        jobs = orders(tag, interval, count)
        placed_window = await closed_loop(place, jobs, concurrency, 3600, 0)
        placed_window.duration = time.monotonic() - started
        placed = result_of(
            f"market at scale: PlaceOrder by {count:,} households, closed {concurrency}",
            "python", "community", "closed", concurrency, 1, placed_window,
            cpu.by_kind(before, cpu.snapshot()),
        )  # fmt: skip
        info(f"market at scale: clearing {count:,} orders in one transaction")
        before, started = cpu.snapshot(), time.monotonic()
        done = await submit_long_form(scheduler(bench), "ClearInterval", (interval,))
        finished = time.monotonic()
        record = json.loads(done.result)
        info(
            f"market at scale: cleared at {record['price_per_kwh']}: "
            f"{record['trades']:,} trades, {record['matched_wh'] / 1000:,.1f} kWh"
        )
        outcome = Outcome(started, finished, None, count)
        cleared_window = Window(started, finished - started, [outcome])
        clearing = result_of(
            f"market at scale: ClearInterval of {count:,} orders in one transaction",
            "python", "community", "triggered", 1, count, cleared_window,
            cpu.by_kind(before, cpu.snapshot()),
        )  # fmt: skip
    finally:
        await channel.close()  # type: ignore[attr-defined]
    return placed, clearing
