"""The one-machine orchestrator (`network/local.py`), with a runner that records commands.

No org's mode is run: a fake `Runner` records the command each org would run, so the
choreography (who signs, in which order, when it stops) is checked on its own. The real
`Runner` is run with `echo` and `false` in front of it, never with the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from network_builders import home_of

from gridspec.updates import Need, UpdateProposal
from network import local, membership
from network.console import NetworkError
from network.local import Consortium, Runner
from network.membership import next_port_base
from network.topology import COMMUNITY, FOUNDING, REGULATOR, UTILITY, new_community

MSPS = {
    "utility": "UtilityMSP",
    "community": "CommunityMSP",
    "regulator": "RegulatorMSP",
    "river": "RiverMSP",
    "lakeside": "LakesideMSP",
}
FOUNDERS = ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
WITH_RIVER = ("CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP")
APP, ORDERER = "/Channel/Application/Admins", "/Channel/Orderer/Admins"
UPDATE_ID = "20261206T101500Z-consortium-admission-1a2b3c"


@dataclass
class Recorder:
    """Stands in for each org's Runner: records (org, mode, args...) and answers `stdout`."""

    key: str
    calls: list[tuple[str, ...]]
    stdout: str = ""

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        self.calls.append((self.key, *args))
        return subprocess.CompletedProcess(list(args), 0, stdout=self.stdout)


@dataclass
class Machine:
    consortium: Consortium
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def modes(self) -> list[tuple[str, str]]:
        return [(call[0], call[1]) for call in self.calls]


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """Every org's bundle published in the exchange; each org's runner records."""
    calls: list[tuple[str, ...]] = []
    consortium = Consortium(
        homes=tmp_path / "orgs",
        exchange=tmp_path / "exchange",
        runners={key: Recorder(key, calls) for key in MSPS},
    )
    for key, msp in MSPS.items():
        consortium.bundle(key).write_text(json.dumps({"key": key, "msp_id": msp}))
    return Machine(consortium, calls)


def proposal_file(machine: Machine, *needs: Need) -> Path:
    proposal = UpdateProposal(
        id=UPDATE_ID,
        channel="consortium",
        kind="admission",
        subject="RiverMSP",
        description="admit RiverMSP",
        proposed_by="UtilityMSP",
        proposed_at="2026-12-06T10:15:00+00:00",
        base_block=4,
        needs=needs,
        changes=(),
        envelope=b"update",
    )
    path = machine.consortium.published("utility", "admit-river.proposal.json")
    path.write_text(json.dumps(proposal.to_json()))
    return path


ADMIT = (Need(APP, "MAJORITY Admins", FOUNDERS, 2),)
REMOVE = (
    Need(APP, "MAJORITY Admins", WITH_RIVER, 3),
    Need(ORDERER, "MAJORITY Admins", WITH_RIVER, 3),
)
ALL_THREE = (Need(APP, "ALL Admins", FOUNDERS, 3),)
OWN_CRL = (
    Need("/Channel/Application/UtilityMSP/Admins", "1 of UtilityMSP.admin", ("UtilityMSP",), 1),
)
SIGNING = {
    "submitter-counts": (ADMIT, ["utility", "community", "regulator"], "utility", ["community"]),
    "submitter-outside-the-policy": (
        ADMIT,
        ["utility", "community", "regulator"],
        "lakeside",
        ["utility", "community"],
    ),
    "non-member-skipped": (
        ADMIT,
        ["lakeside", "river", "community", "regulator", "utility"],
        "utility",
        ["community"],
    ),
    "member-order-kept": (ADMIT, ["regulator", "community", "utility"], "utility", ["regulator"]),
    "two-policies": (
        REMOVE,
        ["utility", "community", "regulator"],
        "regulator",
        ["utility", "community"],
    ),
    "every-one-needed": (
        ALL_THREE,
        ["regulator", "community", "utility"],
        "utility",
        ["regulator", "community"],
    ),
    "too-few-available": (ALL_THREE, ["community"], "utility", ["community"]),
    "submitter-alone-suffices": (OWN_CRL, ["utility", "community", "regulator"], "utility", []),
}


@pytest.mark.parametrize(
    ("needs", "signers", "submitter", "signed"), SIGNING.values(), ids=SIGNING.keys()
)
def test_members_sign_in_turn_until_the_needs_are_met(machine, needs, signers, submitter, signed):
    proposal = proposal_file(machine, *needs)

    files = machine.consortium.collect_signatures(proposal, signers, submitter)

    outs = [
        machine.consortium.published(k, f"{UPDATE_ID}.{MSPS[k]}.signature.json") for k in signed
    ]
    assert files == [str(out) for out in outs]
    assert machine.calls == [
        (
            key,
            "sign",
            "--home",
            str(machine.consortium.home(key).path),
            "--org",
            key,
            str(proposal),
            "--out",
            str(out),
        )
        for key, out in zip(signed, outs, strict=True)
    ]


# ---------------------------------------------------------------- ports of the next org


def test_the_first_admitted_org_takes_the_block_after_the_founders(machine):
    for org in FOUNDING:
        home_of(machine.consortium.homes, org)

    assert next_port_base(machine.consortium) == 10000
    assert next_port_base(Consortium(homes=machine.consortium.homes / "none")) == 10000


@pytest.mark.parametrize(
    ("taken", "expected"),
    [([10000], 11000), ([10000, 11000], 12000), ([10000, 12000], 11000), ([11000], 10000)],
    ids=["one", "two", "gap", "first-free"],
)
def test_next_port_base_skips_the_blocks_taken(machine, taken, expected):
    for index, base in enumerate(taken):
        home_of(machine.consortium.homes, new_community(f"org{index}", base))

    assert next_port_base(machine.consortium) == expected


def test_when_every_block_is_taken_there_is_no_room_for_another_org(machine):
    for base in range(10000, 60001, 1000):
        home_of(machine.consortium.homes, new_community(f"org{base}", base))

    with pytest.raises(NetworkError) as caught:
        next_port_base(machine.consortium)
    assert str(caught.value) == "no free block of ports is left for another org on this machine"


# ---------------------------------------------------------------- running a mode


def test_a_mode_that_fails_is_a_network_error_naming_it():
    with pytest.raises(NetworkError) as caught:
        Runner(prefix=("false",)).run("sign", "admit.proposal.json")
    assert str(caught.value) == "`network sign admit.proposal.json` failed (exit 1)"

    unchecked = Runner(prefix=("false",)).run("status", check=False)
    assert unchecked.returncode == 1


def test_a_mode_runs_as_python_m_network_behind_the_runners_prefix(machine):
    echo = Runner(prefix=("echo",))

    assert echo.run("ports").stdout == f"{sys.executable} -m network ports\n"
    machine.consortium.runners["utility"] = echo
    home = machine.consortium.home("utility").path
    assert machine.consortium.run("utility", "status") == (
        f"{sys.executable} -m network status --home {home} --org utility\n"
    )


# ---------------------------------------------------------------- membership guards


@pytest.fixture
def here(machine: Machine, monkeypatch: pytest.MonkeyPatch) -> Machine:
    """The founders' homes on this machine, and `local.here()` returning it."""
    for org in (UTILITY, COMMUNITY, REGULATOR):
        home_of(machine.consortium.homes, org)
    monkeypatch.setattr(local, "here", lambda: machine.consortium)
    return machine


@pytest.mark.parametrize("key", ["utility", "community", "regulator"])
def test_a_founding_member_is_not_offboarded(here, key):
    with pytest.raises(NetworkError) as caught:
        membership.remove(here.consortium, key, "regulator")
    assert str(caught.value) == f"{key} is a founding member; only admitted orgs are removed here"
    assert here.calls == []


@pytest.mark.parametrize("status", [None, "left"], ids=["never-here", "left"])
def test_an_org_not_here_is_not_offboarded(here, status):
    if status is not None:
        home_of(here.consortium.homes, new_community("river", 10000)).set_status(status)

    with pytest.raises(NetworkError) as caught:
        membership.remove(here.consortium, "river", "utility")
    assert str(caught.value) == "river is not an org of this machine"
    assert here.calls == []


def test_an_org_that_never_joined_withdraws_without_a_vote(here):
    home_of(here.consortium.homes, new_community("river", 10000)).set_status("joining")

    membership.remove(here.consortium, "river", "utility")

    assert here.modes() == [("river", "leave")]


def test_an_org_does_not_propose_its_own_removal(here):
    home_of(here.consortium.homes, new_community("river", 10000)).set_status("active")

    with pytest.raises(NetworkError) as caught:
        membership.remove(here.consortium, "river", "river")
    assert str(caught.value) == (
        "the proposer river must be another member here: utility, community, regulator"
    )
    assert here.calls == []


def test_an_onboarding_proposer_must_be_a_member_here(here):
    with pytest.raises(NetworkError) as caught:
        membership.admit(here.consortium, "river", "lakeside")
    assert str(caught.value) == (
        "the proposer lakeside is not a member here: utility, community, regulator"
    )
    assert here.calls == []
