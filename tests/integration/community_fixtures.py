"""A small community on channel community-sunnyside, registered and metered once per run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

from cryptography.hazmat.primitives import serialization
from homes import ca_cert, home, msp_dir

from client import CAClient, Contract, Enrollment, Gateway, connect
from client.accesses import Access, recorded
from client.bundles import MeterKeys
from gridspec.signed_bundle import SignedBundle
from network.ca import read_enrollment
from network.connect import gateway
from network.demo import TARIFF
from network.scenario import Household, community, day_readings, signed_days
from network.topology import COMMUNITY, REGULATOR, UTILITY

CHANNEL = "community-sunnyside"
DAY = date(2026, 3, 1)
DAY_START, DAY_END = "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"
HOUSEHOLDS = community()[:3]
#: the meters' device keys, kept where the utility's head-end keeps them (as the demo does)
KEYS = MeterKeys(home(UTILITY).meter_keys)


def contract(gw: Gateway, name: str) -> Contract:
    return gw.get_network(CHANNEL).get_contract("community", name)


def read_recorded(
    gw: Gateway, contract_name: str, transaction: str, args: tuple[str, ...], access: Access
) -> Any:
    """A read of a household's data by anyone but the household, as the facade makes it:
    RecordAccess first, then the read naming the record (client/accesses.py)."""
    transient = recorded(contract(gw, "AccessContract"), access)
    return json.loads(contract(gw, contract_name).evaluate(transaction, args, transient))


def register(household: Household, personal: dict[str, str] | None = None) -> dict:
    with gateway(UTILITY, "operator1") as gw:
        transient = {"household": json.dumps(personal).encode()} if personal else None
        result = contract(gw, "MeterContract").submit(
            "RegisterMeter",
            args=(
                household.meter_id,
                household.household_id,
                household.feeder,
                KEYS.public_pem(household.meter_id),
            ),
            transient=transient,
        )
    return json.loads(result)


def signed(household: Household, readings: list[dict]) -> bytes:
    """The transient `bundles` of *readings*, one bundle per day, signed by the meter."""
    return SignedBundle.submission(signed_days(KEYS, household, readings))


def posted(household: Household, readings: list[dict]) -> dict:
    """The body of `POST /readings` for *readings*: one signed bundle per day."""
    return {"bundles": [bundle.wire() for bundle in signed_days(KEYS, household, readings)]}


def submit_day(household: Household, readings: list[dict] | None = None) -> dict:
    bundles = signed(household, readings or day_readings(household, DAY))
    with gateway(UTILITY, "headend1") as gw:
        result = contract(gw, "ReadingContract").submit(
            "SubmitReadings", transient={"bundles": bundles}
        )
    return json.loads(result)


def fresh_household() -> Household:
    """A household no earlier run has seen (erasure cannot be undone)."""
    tag = uuid.uuid4().hex[:8]
    return replace(HOUSEHOLDS[2], household_id=f"h-x{tag}", meter_id=f"m-x{tag}")


def approved_tariff() -> dict:
    """Propose the community's tariff (utility) and approve it (regulator); idempotent."""
    with gateway(UTILITY, "operator1") as gw:
        contract(gw, "TariffContract").submit("ProposeTariff", args=(json.dumps(TARIFF),))
    with gateway(REGULATOR, "auditor1") as gw:
        return json.loads(
            contract(gw, "TariffContract").submit("ApproveTariff", args=(TARIFF["tariff_id"],))
        )


def enrolled(name: str, attributes: dict[str, str]) -> Enrollment:
    """A fresh identity of the community, registered by its admin and enrolled."""
    ca = CAClient(COMMUNITY.ca_url, COMMUNITY.ca_name, ca_cert(COMMUNITY).read_bytes())
    secret = ca.register(read_enrollment(msp_dir(COMMUNITY, "admin")), name, attributes=attributes)
    return ca.enroll(name, secret)


@contextmanager
def gateway_as(enrollment: Enrollment) -> Iterator[Gateway]:
    """The community peer's gateway as `enrollment` (its certificate is its TLS client cert)."""
    key = enrollment.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    channel = connect(
        COMMUNITY.peer_address,
        tls_root_cert=ca_cert(COMMUNITY).read_bytes(),
        client_cert=enrollment.certificate,
        client_key=key,
    )
    try:
        yield Gateway(enrollment.identity(COMMUNITY.msp_id), enrollment.signer(), channel)
    finally:
        channel.close()
