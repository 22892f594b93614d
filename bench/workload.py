"""The work a benchmark submits: fresh meters and transactions of signed meter-day bundles.

A transaction carries `per_tx` bundles, each one meter's whole day (96 readings): what
a head-end sends once a day is over, many meters at a time. Every run registers its
own meters (ids carry the run's tag), so a run never collides with an earlier one or
with the tests, and the ledger refuses nothing as a duplicate. Each meter's device key
is drawn at random for the run (:class:`client.bundles.MeterKeys`). A run's bundles are
signed as its transactions are taken, by the client's process (0.13 ms a bundle, a few
per cent of one core at the best rate, counted as client CPU): signing half an hour of
them ahead would hold gigabytes. The Node client reads a file signed before it starts.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from itertools import count, islice
from pathlib import Path

from client import AsyncContract
from client.bundles import MeterKeys, day_rows, sign_bundle
from gridspec.reading_bundle import encode_payload
from gridspec.readings import RETENTION_DAYS
from gridspec.signed_bundle import SignedBundle
from network.scenario import Household, community, day_readings

# inside the demo tariff's validity (from 2026-01-01), so that the days can be invoiced,
# and inside the readings' retention, so that the ledger takes them
TARIFF_START = date(2026, 1, 2)
READINGS_PER_DAY = 96
#: the device keys of the run's simulated meters, drawn at random, never saved
KEYS = MeterKeys()


def first_day(today: date | None = None) -> date:
    """The earliest day a run's readings use: retained, and with a tariff in force."""
    today = today or date.today()
    return max(TARIFF_START, today - timedelta(days=RETENTION_DAYS - 1))


@dataclass(frozen=True)
class Batch:
    """One SubmitReadings transaction: its transient bundles, and whose days they are."""

    payload: bytes
    readings: int
    days: tuple[tuple[str, date], ...] = field(default=())  # (household id, day) per bundle

    def transient(self) -> dict[str, bytes]:
        return {"bundles": self.payload}


def run_tag() -> str:
    return f"b{secrets.token_hex(3)}"


def households(count_: int, tag: str) -> list[Household]:
    """`count_` simulated households with meter and household ids unique to this run."""
    base = community(size=20)
    return [
        replace(
            base[n % len(base)],
            household_id=f"h-{tag}-{n:04d}",
            meter_id=f"m-{tag}-{n:04d}",
        )
        for n in range(count_)
    ]


async def register(meters: AsyncContract, homes: list[Household], concurrency: int = 16) -> None:
    """Register every household's meter (as the utility's operator), a few at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(home: Household) -> None:
        async with gate:
            await meters.submit(
                "RegisterMeter",
                args=(
                    home.meter_id,
                    home.household_id,
                    home.feeder,
                    KEYS.public_pem(home.meter_id),
                ),
            )

    await asyncio.gather(*(one(h) for h in homes))


@cache
def rows_of(home: Household, weekday: int) -> tuple[tuple[int, ...], ...]:
    """A household's 96 rows for a day: its simulated profile, one of seven per household,
    so that a run of a million meter-days signs without simulating each of them."""
    readings = day_readings(home, TARIFF_START + timedelta(days=weekday))
    [(_, _, rows)] = list(day_rows(readings))
    return tuple(tuple(row) for row in rows)


def signed_day(home: Household, day: date) -> SignedBundle:
    """The household's meter's bundle of `day`, under a fresh secret, signed."""
    payload = encode_payload(home.meter_id, day.isoformat(), 15, rows_of(home, day.weekday()))
    return sign_bundle(KEYS.provision(home.meter_id), payload)


def meter_days(homes: list[Household], first: int) -> Iterator[tuple[Household, int]]:
    """(household, day offset) day after day from `first`, every meter each day."""
    return ((home, day) for day in count(first) for home in homes)


def batches(homes: list[Household], per_tx: int, count_: int, first: int = 0) -> Iterator[Batch]:
    """`count_` transactions of `per_tx` bundles, from day `first` after :func:`first_day`,
    no meter-day twice; each signed when it is taken (a bad `per_tx` is refused at once)."""
    if not 1 <= per_tx <= 1000:
        raise ValueError(f"bundles per transaction {per_tx} must be from 1 to 1000")
    return _signed_batches(homes, per_tx, count_, first)


def _signed_batches(
    homes: list[Household], per_tx: int, count_: int, first: int
) -> Iterator[Batch]:
    start, slots = first_day(), meter_days(homes, first)
    for _ in range(count_):
        chunk = [(home, start + timedelta(days=d)) for home, d in islice(slots, per_tx)]
        bundles = [signed_day(home, day) for home, day in chunk]
        days = tuple((home.household_id, day) for home, day in chunk)
        yield Batch(SignedBundle.submission(bundles), per_tx * READINGS_PER_DAY, days)


def days_needed(homes: int, per_tx: int, count_: int) -> int:
    """The days `count_` transactions of `per_tx` bundles take over `homes` meters."""
    return -(-count_ * per_tx // homes)


def write_jsonl(made: Iterable[Batch], path: Path) -> Path:
    """The transactions as the Node client reads them: one a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for batch in made:
            line = {
                "function": "ReadingContract:SubmitReadings",
                "args": [],
                "transient": {"bundles": base64.b64encode(batch.payload).decode()},
                "readings": batch.readings,
            }
            out.write(json.dumps(line) + "\n")
    return path
