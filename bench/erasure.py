"""The erasure experiment: PurgeHousehold of a household's year of readings.

A fresh household's meter gets 365 days of 15-minute readings (35,040, in five
transactions of 73 day bundles); then the utility's operator erases the household.
The result is the purge's time, and what the ledger still answers afterwards: every
day's commitment (erasure keeps them, so a reading disclosed before still verifies)
and no reading.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from bench.experiments import CHANNEL, Bench
from bench.results import Result
from bench.submission import submit_long_form
from bench.workload import READINGS_PER_DAY, households, register, signed_day
from client import GatewayError
from client.accesses import Access
from gridspec.signed_bundle import SignedBundle

__all__ = ["purge_year"]


async def purge_year(bench: Bench) -> Result:
    """PurgeHousehold of a household with a year of 15-minute readings (35,040): how long
    it takes, and what stays on the ledger: every day's commitment, no reading."""
    [home] = households(1, f"{bench.tag}p")
    await register(bench.contract("operator1"), [home])
    first = date.today() - timedelta(days=366)
    days = [first + timedelta(days=d) for d in range(365)]
    readings = bench.contract("headend1", "ReadingContract")
    for start in range(0, len(days), 73):
        bundles = [signed_day(home, day) for day in days[start : start + 73]]
        transient = {"bundles": SignedBundle.submission(bundles)}
        await submit_long_form(readings, "SubmitReadings", transient=transient)
    stored = len(days) * READINGS_PER_DAY
    meters = bench.contract("operator1")
    started = time.monotonic()
    done = await submit_long_form(meters, "PurgeHousehold", args=(home.household_id, "retention"))
    seconds = time.monotonic() - started
    kept = 0
    for day in days:
        try:
            await readings.evaluate("GetReadingCommitment", args=(home.meter_id, day.isoformat()))
        except GatewayError as exc:
            if "no readings are committed under" not in str(exc):
                raise
            continue
        kept += 1
    period = (f"{days[0].isoformat()}T00:00:00Z", f"{days[-1].isoformat()}T23:59:00Z")
    left = json.loads(await meters_readings(bench, home.household_id, period))
    record = json.loads(done.result)
    return Result(
        name=f"purge: PurgeHousehold of {stored:,} readings ({len(days)} days)",
        client="python",
        chaincode="community",
        mode="single",
        load=1,
        batch_size=73,
        duration=seconds,
        committed=1,
        items=stored,
        failures={},
        latencies=[seconds],
        cpu={},
        extra={
            "meter_days_purged": record["meter_days_purged"],
            "commitments_kept": kept,
            "readings_left": len(left),
        },
    )


async def meters_readings(bench: Bench, household_id: str, period: tuple[str, str]) -> bytes:
    """The household's readings in `period`, as the utility's billing reads them: the
    access recorded first, the read naming the record (client/accesses.py)."""
    network = bench.gateways["billing1"].get_network(CHANNEL)
    access = Access("readings", household_id, *period)
    answer = await network.get_contract("community", "AccessContract").submit(
        "RecordAccess", args=access.arguments()
    )
    transient = {"access": json.loads(answer)["access_id"].encode()}
    contract = network.get_contract("community", "ReadingContract")
    raw: bytes = await contract.evaluate(
        "GetReadings", args=(household_id, *period), transient=transient
    )
    return raw
