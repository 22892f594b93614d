"""A community org joins the running consortium through the API, under a load of readings,
then leaves it again, each time by a majority of the existing members' admins.

The org is new on every run (`river<hex>`): a removed org's key and MSP id are never
admitted again, and a developer's network may already hold a `riverside`. While the
admission runs, the utility's head-end keeps submitting Sunnyside readings; every one
must be acknowledged and be on the ledger afterwards. The admission's signatures come
one per org through the API, each made with the key of that org's logged-in admin.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pytest
from api_client import ROLES, Api, Role, api_session, assert_error
from community_fixtures import contract, fresh_household, register

from client import GatewayError
from network import onboarding
from network.configupdate import fetch_config_block
from network.connect import gateway
from network.orgconfig import application_msps
from network.scenario import community, day_readings, signed_batch
from network.topology import (
    ACTIVE,
    COMMUNITY,
    JOINING,
    REGULATOR,
    REMOVED,
    UTILITY,
    Org,
    admission,
)

pytestmark = pytest.mark.usefixtures("fabric_network")

KEY = f"river{secrets.token_hex(3)}"
MSP_ID = f"River{KEY[5:]}MSP"
OWN_CHANNEL = f"community-{KEY}"
ADMINS = {
    org.key: Role(f"{org.key}_admin", f"{org.key} admin", org, "admin", "admin")
    for org in (UTILITY, COMMUNITY, REGULATOR)
}
CHANGES = "/membership-changes"
LOAD_DAY = date(2026, 4, 1)


@dataclass(eq=False)
class ReadingLoad(threading.Thread):
    """Sunnyside readings, four intervals a transaction, until told to stop."""

    acknowledged: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)
        self.household = fresh_household()
        register(self.household)

    def run(self) -> None:
        day = LOAD_DAY
        with gateway(UTILITY, "headend1") as gw:
            meters = contract(gw, "MeterContract")
            while not self.stopping.is_set():
                readings = day_readings(self.household, day)
                for start in range(0, len(readings), 4):
                    if self.stopping.is_set():
                        return
                    self.submit(meters, readings[start : start + 4])
                day += timedelta(days=1)

    def submit(self, meters: Any, readings: list[dict]) -> None:
        try:
            meters.submit(
                "SubmitReadings", transient={"readings": signed_batch(self.household, readings)}
            )
        except GatewayError as exc:
            self.failures.append(f"{readings[0]['interval_start']}: {exc}")
            return
        self.acknowledged.extend(str(r["interval_start"]) for r in readings)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


def majority(channel: str) -> int:
    """How many application org admins the channel's MAJORITY Admins policy wants now."""
    return len(application_msps(fetch_config_block(channel, UTILITY).config)) // 2 + 1


def sign_until_enough(api: Api, path: str, change: dict[str, Any]) -> list[str]:
    """Sunnyside's admin, then the regulator's, sign until nothing is outstanding."""
    signers = []
    for org_key in ("community", "regulator"):
        if not change["outstanding"]:
            break
        change = api.ok("POST", f"{path}/signatures", ADMINS[org_key], 201)
        signers.append(ADMINS[org_key].org.msp_id)
    return sorted(signers)


@dataclass
class Admission:
    needed: int
    proposed: dict[str, Any]
    early_completion: Any
    config_blocks_around_early_completion: tuple[int, int]
    signers: list[str]
    completed: dict[str, Any]
    load: ReadingLoad

    @property
    def org(self) -> Org:
        """The org as admitted (still known once removed, unlike `org_by_key`)."""
        found = admission(KEY)
        assert found is not None
        return found.org


def leave_as_found() -> None:
    """Withdraw or remove this run's org if a failed step left it joining or active."""
    left = admission(KEY)
    if left is not None and left.status == JOINING:
        onboarding.withdraw(KEY)
    elif left is not None and left.status == ACTIVE:
        change = onboarding.remove(KEY, REGULATOR)
        onboarding.sign_by_majority(change)
        onboarding.complete(change, UTILITY)


@pytest.fixture(scope="module")
def admitted(api: Api) -> Iterator[Admission]:
    """Proposed by the utility, signed by a majority of admins, completed by the regulator.

    With the three founding members, the utility's and Sunnyside's signatures are the
    majority; on a developer's network that admitted more orgs, the regulator signs too.
    """
    needed = majority("consortium")
    load = ReadingLoad()
    load.start()
    try:
        proposed = api.ok(
            "POST", CHANGES, ADMINS["utility"], 201, json={"kind": "admission", "org": KEY}
        )
        path = f"{CHANGES}/{proposed['id']}"
        utility_only = api.ok("POST", f"{path}/signatures", ADMINS["utility"], 201)
        before = fetch_config_block("consortium", UTILITY).number
        early = api.post(f"{path}/completion", ADMINS["regulator"])
        after = fetch_config_block("consortium", UTILITY).number
        signers = sign_until_enough(api, path, utility_only)
        completed = api.ok("POST", f"{path}/completion", ADMINS["regulator"], 200)
        time.sleep(2)  # the load runs on a little after the admission, too
    except BaseException:
        leave_as_found()
        raise
    finally:
        load.stop()
    signed = ["UtilityMSP", *signers]
    yield Admission(needed, proposed, early, (before, after), signed, completed, load)
    leave_as_found()


def test_the_proposal_names_the_org_and_waits_for_a_majority(admitted: Admission) -> None:
    proposed = admitted.proposed
    assert (proposed["kind"], proposed["org_key"], proposed["msp_id"]) == ("admission", KEY, MSP_ID)
    assert (proposed["proposed_by"], proposed["status"]) == ("UtilityMSP", "proposed")
    assert proposed["signatures"] == []
    assert proposed["outstanding"] == {
        "consortium": {"/Channel/Application/Admins": admitted.needed}
    }


def test_one_signature_is_not_enough_and_nothing_is_submitted(admitted: Admission) -> None:
    more = f"{admitted.needed - 1} more of /Channel/Application/Admins"
    assert_error(admitted.early_completion, 409, "needs more admin signatures", more)
    assert (
        admitted.config_blocks_around_early_completion[0]
        == (admitted.config_blocks_around_early_completion[1])
    )


def test_a_majority_of_admins_admits_the_org(admitted: Admission) -> None:
    completed = admitted.completed
    assert completed["status"] == "completed" and completed["outstanding"] == {}
    assert len(admitted.signers) == admitted.needed
    assert [s["msp_id"] for s in completed["signatures"]] == sorted(admitted.signers)
    assert completed["result"]["submitted_by"] == "RegulatorMSP"
    assert admission(KEY) is not None and admission(KEY).status == ACTIVE


def test_readings_kept_flowing_and_every_acknowledged_one_is_on_the_ledger(
    admitted: Admission,
) -> None:
    load = admitted.load
    assert load.failures == []
    assert len(load.acknowledged) >= 40, "the load should have run through the onboarding"
    with gateway(UTILITY, "billing1") as gw:
        stored = json.loads(
            contract(gw, "MeterContract").evaluate(
                "GetReadings",
                args=(load.household.household_id, "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"),
            )
        )
    assert sorted(r["interval_start"] for r in stored) == sorted(load.acknowledged)


def test_the_config_block_puts_the_org_on_consortium(admitted: Admission) -> None:
    block = fetch_config_block("consortium", UTILITY)
    assert block.number >= admitted.completed["result"]["config_block"]
    assert MSP_ID in application_msps(block.config)


def test_the_regulators_audit_shows_the_admission_and_who_signed_it(
    api: Api, admitted: Admission
) -> None:
    block = admitted.completed["result"]["config_block"]
    history = api.ok(
        "GET",
        "/audit/channels/consortium/config-history",
        ROLES["regulator"],
        200,
        query_string={"per_page": 500},
    )
    change = next(c for c in history["items"] if c["block_number"] == block)
    added = {"path": f"Channel/Application/{MSP_ID}", "element": "group", "change": "added"}
    assert added in change["changes"]
    assert set(change["signers"]) == {*admitted.signers, "RegulatorMSP"}


def test_the_registry_records_who_proposed_signed_and_submitted(admitted: Admission) -> None:
    result = admitted.completed["result"]
    with gateway(REGULATOR, "auditor1") as gw:
        network = gw.get_network("consortium")
        network.get_commit(result["registry_tx_id"]).status()
        record = json.loads(
            network.get_contract("consortium", "MemberContract").evaluate(
                "GetMember", args=(MSP_ID,)
            )
        )
    assert (record["status"], record["kind"], record["recorded_by_msp"]) == (
        "active",
        "community",
        "RegulatorMSP",
    )
    onboarding = record["onboarding"]
    assert onboarding["config_block"] == result["config_block"]
    assert onboarding["proposed_by"] == "UtilityMSP"
    assert onboarding["submitted_by"] == "RegulatorMSP"
    assert [s["msp_id"] for s in onboarding["signatures"]] == sorted(admitted.signers)
    assert onboarding["community_channel"] == OWN_CHANNEL


def test_the_new_org_transacts_on_its_own_channel(admitted: Admission) -> None:
    household = replace(community()[0], household_id=f"h-{KEY}-001", meter_id=f"m-{KEY}-1")
    with gateway(UTILITY, "operator1") as gw:
        gw.get_network(OWN_CHANNEL).get_contract("community", "MeterContract").submit(
            "RegisterMeter",
            args=(
                household.meter_id,
                household.household_id,
                household.feeder,
                household.device_public_key_pem,
            ),
        )
    readings = day_readings(household, LOAD_DAY)[:8]
    with gateway(UTILITY, "headend1") as gw:
        gw.get_network(OWN_CHANNEL).get_contract("community", "MeterContract").submit(
            "SubmitReadings", transient={"readings": signed_batch(household, readings)}
        )
    with gateway(admitted.org, "household1") as gw:
        own = gw.get_network(OWN_CHANNEL)
        stored = json.loads(
            own.get_contract("community", "MeterContract").evaluate(
                "GetReadings",
                args=(household.household_id, "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z"),
            )
        )
    assert [r["import_wh"] for r in stored] == [r["import_wh"] for r in readings]


def test_the_new_org_cannot_read_sunnysides_channel(admitted: Admission) -> None:
    denied = "access denied: channel \\[community-sunnyside\\]"
    with (
        gateway(admitted.org, "household1", peer_org=UTILITY) as gw,
        pytest.raises(GatewayError, match=denied),
    ):
        contract(gw, "MeterContract").evaluate("GetMeter", args=("m-0001",))


def test_sunnyside_cannot_read_the_new_orgs_channel(admitted: Admission) -> None:
    with gateway(COMMUNITY, "household1", peer_org=UTILITY) as gw:
        meters = gw.get_network(OWN_CHANNEL).get_contract("community", "MeterContract")
        with pytest.raises(GatewayError, match=f"access denied: channel \\[{OWN_CHANNEL}\\]"):
            meters.evaluate("GetMeter", args=(f"m-{KEY}-1",))


@pytest.mark.parametrize("role", ["operator", "regulator", "household"])
def test_only_an_admin_may_propose_a_membership_change(api: Api, role: str) -> None:
    response = api.post(CHANGES, ROLES[role], json={"kind": "admission", "org": "nobody"})
    assert_error(response, 403, "may not change the membership; allowed: admin")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"kind": "merger", "org": "neverproposed"}, "kind"),
        ({"kind": "admission", "org": "Never!"}, "lowercase"),
        ({"kind": "admission"}, "org"),
    ],
)
def test_a_bad_proposal_is_refused_and_nothing_starts(api: Api, body: dict, fragment: str) -> None:
    response = api.post(CHANGES, ADMINS["utility"], json=body)
    assert_error(response, 422, fragment)
    assert admission(str(body.get("org"))) is None


def test_a_founding_member_cannot_be_removed(api: Api) -> None:
    response = api.post(CHANGES, ADMINS["utility"], json={"kind": "removal", "org": "community"})
    assert_error(response, 403, "community is a founding member")


def test_an_unknown_change_is_404(api: Api) -> None:
    response = api.get(f"{CHANGES}/20260101T000000Z-admission-nobody-abcdef", ADMINS["utility"])
    assert_error(response, 404, "is not proposed")


# ---------------------------------------------------------------- removal


@dataclass
class Removal:
    needed: int
    proposed: dict[str, Any]
    own_signature: Any
    completed: dict[str, Any]


@pytest.fixture(scope="module")
def removed(api: Api, admitted: Admission) -> Removal:
    """Proposed by the regulator; its own channel needs the utility and the regulator, and
    consortium, where the org itself counts among the members, needs all three founders."""
    needed = majority("consortium")
    proposed = api.ok(
        "POST", CHANGES, ADMINS["regulator"], 201, json={"kind": "removal", "org": KEY}
    )
    path = f"{CHANGES}/{proposed['id']}"
    for org_key in ("regulator", "utility", "community"):
        api.ok("POST", f"{path}/signatures", ADMINS[org_key], 201)
    own_signature = api.post(f"{path}/signatures", ADMINS["utility"])
    completed = api.ok("POST", f"{path}/completion", ADMINS["utility"], 200)
    return Removal(needed, proposed, own_signature, completed)


def test_removal_needs_a_majority_on_consortium_and_two_of_three_on_its_channel(
    removed: Removal,
) -> None:
    assert removed.proposed["outstanding"] == {
        "consortium": {"/Channel/Application/Admins": removed.needed},
        OWN_CHANNEL: {"/Channel/Application/Admins": 2, "/Channel/Orderer/Admins": 2},
    }
    assert_error(removed.own_signature, 409, "has already signed")


def test_removal_takes_the_org_off_both_channels(removed: Removal) -> None:
    result = removed.completed["result"]
    assert result["channels"] == sorted(["consortium", OWN_CHANNEL])
    assert MSP_ID not in application_msps(fetch_config_block("consortium", UTILITY).config)
    assert MSP_ID not in application_msps(fetch_config_block(OWN_CHANNEL, UTILITY).config)
    assert admission(KEY) is not None and admission(KEY).status == REMOVED


def test_removal_revokes_the_orgs_people_and_puts_the_crl_on_its_channels(
    removed: Removal,
) -> None:
    result = removed.completed["result"]
    assert {"household1", "household2"} <= set(result["revoked_identities"])
    assert result["crl_block"] < result["config_blocks"]["consortium"]


def test_a_removed_orgs_household_is_refused_everywhere(
    removed: Removal, admitted: Admission
) -> None:
    calls = [
        ("consortium", "consortium", "MemberContract", "ListMembers", ()),
        (OWN_CHANNEL, "community", "MeterContract", "GetMeter", (f"m-{KEY}-1",)),
    ]
    for channel, chaincode, name, function, args in calls:
        with (
            gateway(admitted.org, "household1", peer_org=UTILITY) as gw,
            pytest.raises(GatewayError),
        ):
            gw.get_network(channel).get_contract(chaincode, name).evaluate(function, args=args)


def test_the_registry_records_the_removal(removed: Removal) -> None:
    result = removed.completed["result"]
    with gateway(REGULATOR, "auditor1") as gw:
        network = gw.get_network("consortium")
        network.get_commit(result["registry_tx_id"]).status()
        record = json.loads(
            network.get_contract("consortium", "MemberContract").evaluate(
                "GetMember", args=(MSP_ID,)
            )
        )
    assert record["status"] == "removed"
    assert record["removal"]["config_blocks"] == result["config_blocks"]
    assert record["onboarding"]["community_channel"] == OWN_CHANNEL
