"""The work a benchmark submits: fresh meters and their signed reading bundles.

Every run registers its own meters (ids carry the run's tag), so a run never collides
with an earlier one or with the tests, and the ledger refuses nothing as a duplicate.
Each meter's device key is drawn at random for the run (:class:`client.bundles.MeterKeys`);
bundles are signed before the clock starts: a meter signs at the edge, not in the
head-end, so signing is not part of what is measured.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from client import AsyncContract
from client.bundles import MeterKeys
from gridspec.signed_bundle import SignedBundle
from network.scenario import Household, community, day_readings, signed_days

# inside the demo tariff's validity (from 2026-01-01), so that the days can be invoiced
FIRST_DAY = date(2026, 1, 2)
READINGS_PER_DAY = 96
#: the device keys of the run's simulated meters, drawn at random, never saved
KEYS = MeterKeys()


@dataclass(frozen=True)
class Batch:
    """One SubmitReadings transaction's transient bundles and how many readings they carry."""

    meter_id: str
    readings: int
    payload: bytes
    household_id: str = ""
    day: date = FIRST_DAY

    def transient(self) -> dict[str, bytes]:
        return {"bundles": self.payload}


def run_tag() -> str:
    return f"b{secrets.token_hex(3)}"


def households(count: int, tag: str) -> list[Household]:
    """`count` simulated households with meter and household ids unique to this run."""
    base = community(size=20)
    return [
        replace(
            base[n % len(base)],
            household_id=f"h-{tag}-{n:04d}",
            meter_id=f"m-{tag}-{n:04d}",
        )
        for n in range(count)
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


def batches(homes: list[Household], batch_size: int, count: int, first_day: int = 0) -> list[Batch]:
    """`count` batches of `batch_size` consecutive readings, the meters taking turns.

    Meter k's n-th batch holds its readings from interval n*batch_size on, day after day
    from `first_day` (days after FIRST_DAY), so no two batches share a meter and interval.
    """
    if not 1 <= batch_size <= READINGS_PER_DAY or READINGS_PER_DAY % batch_size:
        raise ValueError(f"batch size {batch_size} must divide {READINGS_PER_DAY}")
    per_day = READINGS_PER_DAY // batch_size
    days: dict[tuple[str, int], list[dict[str, object]]] = {}
    made = []
    for n in range(count):
        home = homes[n % len(homes)]
        day, part = divmod(n // len(homes), per_day)
        key = (home.meter_id, day)
        if key not in days:
            days[key] = day_readings(home, FIRST_DAY + timedelta(days=first_day + day))
        chunk = days[key][part * batch_size : (part + 1) * batch_size]
        if part == per_day - 1:
            del days[key]
        batch_day = FIRST_DAY + timedelta(days=first_day + day)
        payload = SignedBundle.submission(signed_days(KEYS, home, chunk))
        made.append(Batch(home.meter_id, len(chunk), payload, home.household_id, batch_day))
    return made


def write_jsonl(made: list[Batch], path: Path) -> Path:
    """The batches as the Node client reads them: one transaction per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for batch in made:
            line = {
                "function": "SubmitReadings",
                "args": [],
                "transient": {"bundles": base64.b64encode(batch.payload).decode()},
                "readings": batch.readings,
            }
            out.write(json.dumps(line) + "\n")
    return path
