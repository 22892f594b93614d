"""A simulated energy community: households, their meters, and their 15-minute readings.

Seeded and reproducible: the same community seed, household and day give the same
readings in every process (generators are seeded by SHA-256 of names,
:mod:`.seeds`), and one household's readings never depend on which other households
are simulated with it.

Models and parameters
=====================

Households (:mod:`.community`)
    1-5 persons with shares 30/34/15/14/7 % (German household sizes, tilted towards
    families as in a neighbourhood of houses); a typical annual consumption of 1,700 /
    2,700 / 3,500 / 4,200 / 5,000 kWh by size (the order of the German figures for
    homes without electric water heating, e.g. the Stromspiegel), times a log-normal
    spread (sigma 0.2), bounded to 1,200-7,000 kWh. A standby load of 15-30 % of the
    annual energy. Half the households (always ``h-001``) have rooftop solar: 1.0-1.8
    kWp per MWh of annual consumption (the German rule of thumb of about 1 kWp per
    MWh, a little more for newer roofs), 2-12 kWp, tilted 20-45 degrees, facing south
    +- up to 90 degrees in 15-degree steps. 40 % of those have a battery of 0.8-1.5
    kWh per kWp (at least 3 kWh), 0.5 kW per kWh (2-5 kW), 90 % round trip.

Consumption (:mod:`.load`)
    demandlib's BDEW standard load profile H0 with its dynamisation (``h0_dyn``),
    15-minute, scaled to each household's annual energy, read on the site's local
    clock (Europe/Berlin, with daylight saving). On top: a standby floor, log-normal
    day and interval factors (mean 1) and Poisson appliance runs (1-2.5 kW, 15-60
    minutes), so single homes are as spiky as single homes are, while a year still
    adds up to the annual energy.

Sun and weather (:mod:`.site`, :mod:`.weather`)
    One site, Berlin (52.52 N, 13.40 E, 34 m), all times UTC at interval midpoints.
    pvlib's solar position and Ineichen clear sky (Linke turbidity climatology); a
    clear-sky index per interval shared by the community: each day sunny, mixed or
    overcast (a Markov chain with seasonal shares, staying put with probability 0.5),
    and an AR(1) wander within the day. The shares were set so that a year gives
    about 990-1,040 kWh/m2 of global horizontal irradiation and a south-facing
    35-degree array about 890-940 kWh/kWp (seeds 1, 7, 42, 99), near Berlin's
    long-term figures.

Solar power (:mod:`.pv`)
    Erbs decomposition, Hay-Davies transposition to the panel plane, Faiman cell
    temperature, PVWatts DC (-0.37 %/degC, 14 % system losses) and PVWatts inverter
    (96 %, DC/AC ratio 1.1).

Batteries (:mod:`.battery`)
    Self-consumption: charge from surplus, discharge to cover load, within power and
    capacity, losses split between charging and discharging.

What is simplified
==================

- One site and one weather for the whole community; no shading between houses, no
  snow, no module ageing, no clouds that cover part of the street.
- The air temperature is a smooth seasonal and daily curve (it only moves the cells'
  efficiency by a few per cent).
- The weather chain restarts on 1 January; a battery's day starts from a warm-up of
  the previous day from empty, not from the real previous evening.
- No public holidays in the load profile; no heat pumps, electric cars or electric
  water heating; consumption does not react to the weather or to prices.
- Readings are net at the meter: what the household consumed of its own solar is
  never metered, as at a real two-way meter.
"""

from .community import community, draw_household
from .household import Battery, Household
from .load import h0_profile, load_wh
from .pv import clear_sky_pv_wh, pv_wh
from .readings import CommunityDay, community_day, day_readings, interval_starts

__all__ = [
    "Battery",
    "CommunityDay",
    "Household",
    "clear_sky_pv_wh",
    "community",
    "community_day",
    "day_readings",
    "draw_household",
    "h0_profile",
    "interval_starts",
    "load_wh",
    "pv_wh",
]
