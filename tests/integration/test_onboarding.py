"""A community joins the running consortium under a load of readings, then leaves it, each
time by the signatures of the members' admins, each made at its own org's API.

The org is new on every run (`river<hex>`): a removed org's key and MSP id are never
admitted again, and a developer's network may already hold a `riverside`. Its operator
brings up its own share from its own home and exports its bundle. Then the admins, each
at its own org's API with its own key: the utility's proposes the admission, Sunnyside's
imports the proposal and signs it, and the regulator's, holding the proposal and the
signature files, submits it. The members' operators found the newcomer's channel and
deploy its chaincode (`python -m network onboard --admitted`); its household logs in at
the newcomer's own API and reads its own readings. While the admission runs, the
utility's head-end keeps submitting Sunnyside readings; every one must be acknowledged
and be on the ledger afterwards.
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
from api_client import ROLES, Api, Role, api_session, assert_error, login
from community_fixtures import KEYS, contract, fresh_household, read_recorded, register, signed
from gridnet_cli import gridnet

from client import GatewayError
from client.accesses import Access
from client.orgconfig import application_msps
from gridspec.channels import community_channel
from network.connect import gateway, peer_session
from network.home import ACTIVE, LEFT, OrgHome
from network.scenario import community, day_readings
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

KEY = f"river{secrets.token_hex(3)}"
MSP_ID = f"River{KEY[5:]}MSP"
OWN_CHANNEL = community_channel(KEY)
ADMINS = {
    org.key: Role(f"{org.key}_admin", f"{org.key} admin", org, "admin", "admin")
    for org in (UTILITY, COMMUNITY, REGULATOR)
}
UPDATES = "/config-updates"
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
            meters = contract(gw, "ReadingContract")
            while not self.stopping.is_set():
                readings = day_readings(self.household, day)
                for start in range(0, len(readings), 4):
                    if self.stopping.is_set():
                        return
                    self.submit(meters, readings[start : start + 4])
                day += timedelta(days=1)

    def submit(self, meters: Any, readings: list[dict]) -> None:
        try:
            meters.submit("SubmitReadings", transient={"bundles": signed(self.household, readings)})
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


def config(channel: str) -> Any:
    with peer_session(UTILITY, "admin") as session:
        return session.config(channel)


def majority(channel: str) -> int:
    """How many application org admins the channel's MAJORITY Admins policy wants now."""
    return len(application_msps(config(channel).config)) // 2 + 1


def newcomer() -> OrgHome:
    return OrgHome.of(KEY)


def sign_at_own_api(api: Api, admin: Role, proposal: dict[str, Any]) -> dict[str, Any]:
    """`admin` imports the proposal file into its org's API and signs it with its own key."""
    imported = api.ok("POST", UPDATES, admin, 201, json={"proposal": proposal})
    assert imported["proposal"] == proposal
    return api.ok("POST", f"{UPDATES}/{proposal['id']}/signatures", admin, 201, json={})


def submit_with(
    api: Api, submitter: Role, proposal: dict[str, Any], signatures: list[dict[str, Any]]
) -> Any:
    """`submitter` brings the proposal and the signature files to its API and submits."""
    api.ok("POST", UPDATES, submitter, 201, json={"proposal": proposal})
    path = f"{UPDATES}/{proposal['id']}"
    for signature in signatures:
        api.ok("POST", f"{path}/signatures", submitter, 201, json={"signature": signature})
    return api.post(f"{path}/submission", submitter)


def leave_as_found() -> None:
    """Take this run's org away again if a failed step left it joining or active."""
    home = newcomer()
    if home.exists() and home.status != LEFT:
        gridnet("offboard", "--org", KEY, "--proposer", "regulator")


@dataclass
class Admission:
    needed: int
    bundle: dict[str, Any]
    proposed: dict[str, Any]
    early: Any
    blocks_around_early: tuple[int, int]
    signers: list[str]
    receipt: dict[str, Any]
    load: ReadingLoad

    @property
    def org(self) -> Org:
        return newcomer().org


@pytest.fixture(scope="module")
def admitted(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admission]:
    """The newcomer's share up; the utility proposes, Sunnyside (and, with more members,
    whoever else is needed) signs, the regulator submits; then its channel and chaincode."""
    folder = tmp_path_factory.mktemp("onboarding")
    needed = majority("consortium")
    # far from the other tests' orgs, and below the kernel's ephemeral ports (32768 and
    # up), which the clients of other tests (browsers, servers on port 0) take at random
    port_base = 20000 + int(KEY[5:], 16) % 12 * 1000
    load = ReadingLoad()
    load.start()
    try:
        gridnet("init", "--org", KEY, "--port-base", str(port_base))
        gridnet("up", "--org", KEY)
        bundle_file = folder / f"{KEY}.bundle.json"
        gridnet("export-bundle", "--org", KEY, "--out", str(bundle_file))
        bundle = json.loads(bundle_file.read_text())
        request = {"kind": "admission", "bundle": bundle}
        proposed = api.ok("POST", UPDATES, ADMINS["utility"], 201, json=request)["proposal"]
        before = config("consortium").number
        early = api.post(f"{UPDATES}/{proposed['id']}/submission", ADMINS["utility"])
        after = config("consortium").number
        signatures = [sign_at_own_api(api, ADMINS["community"], proposed)]
        if needed > 2:  # a developer's network with more members: the utility signs too
            signatures.append(sign_at_own_api(api, ADMINS["utility"], proposed))
        submitted = submit_with(api, ADMINS["regulator"], proposed, signatures)
        assert submitted.status_code == 200, submitted.get_json()
        gridnet("onboard", "--org", KEY, "--admitted")
        time.sleep(2)  # the load runs on a little after the admission, too
    except BaseException:
        load.stop()
        leave_as_found()
        raise
    load.stop()
    signers = sorted(s["msp_id"] for s in signatures)
    yield Admission(
        needed, bundle, proposed, early, (before, after), signers, submitted.get_json(), load
    )
    leave_as_found()


def test_the_proposal_names_the_org_and_what_it_needs(admitted: Admission) -> None:
    proposed = admitted.proposed
    assert (proposed["kind"], proposed["subject"], proposed["channel"]) == (
        "admission",
        MSP_ID,
        "consortium",
    )
    assert proposed["proposed_by"] == UTILITY.msp_id
    assert proposed["bundle"] == admitted.bundle
    assert [(n["policy"], n["needed"]) for n in proposed["needs"]] == [
        ("/Channel/Application/Admins", admitted.needed)
    ]
    assert f"added group Channel/Application/{MSP_ID}" in proposed["changes"]


def test_one_signature_is_not_enough_and_nothing_is_submitted(admitted: Admission) -> None:
    more = f"{admitted.needed - 1} more of /Channel/Application/Admins"
    assert_error(admitted.early, 409, "needs more admin signatures", more)
    assert admitted.blocks_around_early[0] == admitted.blocks_around_early[1]


def test_the_admins_of_separate_orgs_admit_the_org(admitted: Admission) -> None:
    receipt = admitted.receipt
    assert receipt["submitted_by"] == REGULATOR.msp_id
    signed = [s["msp_id"] for s in receipt["signatures"]]
    assert signed == [*admitted.signers, REGULATOR.msp_id]
    assert len(signed) >= admitted.needed
    assert newcomer().status == ACTIVE
    assert MSP_ID in application_msps(config("consortium").config)


def test_readings_kept_flowing_and_every_acknowledged_one_is_on_the_ledger(
    admitted: Admission,
) -> None:
    load = admitted.load
    assert load.failures == []
    assert len(load.acknowledged) >= 40, "the load should have run through the onboarding"
    period = (load.household.household_id, "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z")
    with gateway(UTILITY, "billing1") as gw:
        access = Access("readings", *period)
        stored = read_recorded(gw, "ReadingContract", "GetReadings", period, access)
    assert sorted(r["interval_start"] for r in stored) == sorted(load.acknowledged)


def test_the_regulators_audit_shows_the_admission_and_who_signed_it(
    api: Api, admitted: Admission
) -> None:
    history = api.ok(
        "GET",
        "/audit/channels/consortium/config-history",
        ROLES["regulator"],
        200,
        query_string={"per_page": 500},
    )
    change = next(c for c in history["items"] if c["block_number"] == admitted.receipt["block"])
    added = {"path": f"Channel/Application/{MSP_ID}", "element": "group", "change": "added"}
    assert added in change["changes"]
    assert set(change["signers"]) == {*admitted.signers, REGULATOR.msp_id}


def test_the_registry_records_who_proposed_signed_and_submitted(admitted: Admission) -> None:
    receipt = admitted.receipt
    with gateway(REGULATOR, "auditor1") as gw:
        network = gw.get_network("consortium")
        network.get_commit(receipt["registry_tx_id"]).status()
        record = json.loads(
            network.get_contract("consortium", "MemberContract").evaluate(
                "GetMember", args=(MSP_ID,)
            )
        )
    assert (record["status"], record["kind"], record["recorded_by_msp"]) == (
        "active",
        "community",
        REGULATOR.msp_id,
    )
    onboarding = record["onboarding"]
    assert onboarding["config_block"] == receipt["block"]
    assert (onboarding["proposed_by"], onboarding["submitted_by"]) == (
        UTILITY.msp_id,
        REGULATOR.msp_id,
    )
    assert onboarding["community_channel"] == OWN_CHANNEL


def test_the_new_orgs_household_reads_its_readings_at_its_own_api(
    api: Api, admitted: Admission
) -> None:
    household = replace(community()[0], household_id=f"h-{KEY}-001", meter_id=f"m-{KEY}-1")
    with gateway(UTILITY, "operator1") as gw:
        gw.get_network(OWN_CHANNEL).get_contract("community", "MeterContract").submit(
            "RegisterMeter",
            args=(
                household.meter_id,
                household.household_id,
                household.feeder,
                KEYS.public_pem(household.meter_id),
            ),
        )
    readings = day_readings(household, LOAD_DAY)[:8]
    with gateway(UTILITY, "headend1") as gw:
        gw.get_network(OWN_CHANNEL).get_contract("community", "ReadingContract").submit(
            "SubmitReadings", transient={"bundles": signed(household, readings)}
        )
    auth = login(api.client_of(KEY), KEY, "household1")
    served = api.ok("GET", "/communities", None, 200, headers=auth, org=KEY)
    assert (served["msp_id"], served["communities"]) == (MSP_ID, [KEY])
    path = f"/communities/{KEY}/households/{household.household_id}/readings"
    query = {"start": "2026-04-01T00:00:00Z", "end": "2026-04-02T00:00:00Z"}
    page = api.ok("GET", path, None, 200, headers=auth, org=KEY, query_string=query)
    assert [r["import_wh"] for r in page["items"]] == [r["import_wh"] for r in readings]
    other = api.get("/communities/sunnyside/meters/m-001", headers=auth, org=KEY)
    assert_error(other, 404, f"the {KEY} API serves no community 'sunnyside'")


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
def test_only_an_admin_may_propose_a_config_update(api: Api, role: str) -> None:
    response = api.post(UPDATES, ROLES[role], json={"kind": "removal", "msp_id": "NobodyMSP"})
    assert_error(response, 403, "may not change channels; allowed: admin")


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"kind": "merger"}, 422, "kind"),
        ({"kind": "admission"}, 400, "an admission needs the new org's bundle"),
        ({"kind": "admission", "bundle": {"format": "x"}}, 400, "format must be"),
        ({"kind": "removal"}, 400, "a removal needs the msp_id"),
        ({"kind": "removal", "msp_id": "NobodyMSP"}, 409, "NobodyMSP is not a member"),
        ({"kind": "removal", "msp_id": "X", "channel": "nowhere"}, 404, "is not on channel"),
        ({"proposal": {"format": "gridledger/config-update/1"}}, 400, "needs must be a list"),
    ],
)
def test_a_bad_proposal_is_refused_and_nothing_is_kept(
    api: Api, body: dict, status: int, fragment: str
) -> None:
    before = api.ok("GET", UPDATES, ADMINS["utility"], 200, query_string={"per_page": 500})
    assert_error(api.post(UPDATES, ADMINS["utility"], json=body), status, fragment)
    after = api.ok("GET", UPDATES, ADMINS["utility"], 200, query_string={"per_page": 500})
    assert after["total"] == before["total"]


def test_an_unknown_update_is_404(api: Api) -> None:
    response = api.get(f"{UPDATES}/20260101T000000Z-consortium-removal-abcdef", ADMINS["utility"])
    assert_error(response, 404, "is not known here")


# ---------------------------------------------------------------- removal


@dataclass
class Removal:
    proposals: dict[str, dict[str, Any]]
    own_signature: Any
    receipts: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def removed(api: Api, admitted: Admission) -> Removal:
    """The regulator proposes taking the org off its own channel and off consortium; the
    others sign at their own APIs; the regulator submits; then the org leaves by itself."""
    proposals, receipts = {}, {}
    own_signature = None
    for channel in (OWN_CHANNEL, "consortium"):
        body = {"kind": "removal", "msp_id": MSP_ID, "channel": channel}
        proposal = api.ok("POST", UPDATES, ADMINS["regulator"], 201, json=body)["proposal"]
        proposals[channel] = proposal
        signers = ["utility"] if channel == OWN_CHANNEL else ["utility", "community"]
        signatures = [sign_at_own_api(api, ADMINS[key], proposal) for key in signers]
        path = f"{UPDATES}/{proposal['id']}"
        for signature in signatures:
            api.ok("POST", f"{path}/signatures", ADMINS["regulator"], 201,
                   json={"signature": signature})  # fmt: skip
        if channel == "consortium":  # the same signature file again: kept once
            own_signature = api.post(
                f"{path}/signatures", ADMINS["regulator"], json={"signature": signatures[0]}
            )
        receipts[channel] = api.ok("POST", f"{path}/submission", ADMINS["regulator"], 200)
    gridnet("leave", "--org", KEY)
    return Removal(proposals, own_signature, receipts)


def test_removal_takes_the_org_off_both_channels(removed: Removal) -> None:
    assert [(n["policy"], n["needed"]) for n in removed.proposals[OWN_CHANNEL]["needs"]] == [
        ("/Channel/Application/Admins", 2),
        ("/Channel/Orderer/Admins", 2),
    ]
    for channel in (OWN_CHANNEL, "consortium"):
        assert MSP_ID not in application_msps(config(channel).config)
    assert newcomer().status == LEFT


def test_a_signature_brought_twice_counts_once(removed: Removal) -> None:
    assert removed.own_signature.status_code == 201
    signed = [s["msp_id"] for s in removed.receipts["consortium"]["signatures"]]
    assert len(signed) == len(set(signed))


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
    receipt = removed.receipts["consortium"]
    with gateway(REGULATOR, "auditor1") as gw:
        network = gw.get_network("consortium")
        network.get_commit(receipt["registry_tx_id"]).status()
        record = json.loads(
            network.get_contract("consortium", "MemberContract").evaluate(
                "GetMember", args=(MSP_ID,)
            )
        )
    assert record["status"] == "removed"
    assert record["removal"]["config_blocks"] == {
        channel: removed.receipts[channel]["block"] for channel in (OWN_CHANNEL, "consortium")
    }
    assert record["onboarding"]["community_channel"] == OWN_CHANNEL
