"""The simulated community of the demo, the integration tests and the benchmarks.

Households, their meters and their days of readings come from :mod:`simulation`
(standard load profiles, a PV model under simulated weather, batteries; seeded, so
every run and every process sees the same community). What is public derives from
the seed. What is secret never does: each meter's device key is drawn at random by
the head-end's :class:`client.bundles.MeterKeys` and kept in its home, and every
bundle gets a fresh random secret (the salts of its readings), as a real head-end's
would.
"""

from __future__ import annotations

from client.bundles import MeterKeys, sign_readings
from gridspec.signed_bundle import SignedBundle
from simulation import Household, community, day_readings

__all__ = ["Household", "community", "day_readings", "signed_days"]


def signed_days(
    keys: MeterKeys, household: Household, readings: list[dict[str, object]]
) -> list[SignedBundle]:
    """The household's readings as one signed bundle per day, by its meter's device key."""
    return sign_readings(keys.provision(household.meter_id), household.meter_id, readings)
