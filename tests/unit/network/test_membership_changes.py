"""The bookkeeping of membership changes (`network/onboarding.py`), without Fabric.

Config update proposals are written into the run folder by hand; every step that
would run a Fabric binary (`peer channel signconfigtx`, `peer channel update`,
starting or stopping nodes) is replaced, and reaching one unreplaced fails the test.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any

import pytest

from network import configupdate, onboarding, orgconfig
from network.configupdate import (
    Requirement,
    Signature,
    UpdateProposal,
    envelope_signers,
    update_envelope,
    updates_dir,
)
from network.console import NetworkError
from network.onboarding import (
    ADMISSION,
    CHANGE_ID,
    REMOVAL,
    ChangeNotFound,
    ChangeRefused,
    MembershipChange,
    NotEntitled,
    changes_dir,
    check_new,
    complete,
    load_change,
    member,
    new_org,
    remove,
    sign,
    sign_by_majority,
    sign_with,
    withdraw,
)
from network.topology import (
    ACTIVE,
    COMMUNITY,
    CONSORTIUM_CHANNEL,
    JOINING,
    REGULATOR,
    REMOVED,
    UTILITY,
    WITHDRAWN,
    Admission,
    Org,
    User,
    admission,
    admissions_dir,
    save_admission,
)

STAMP = "20250601T120000Z"
PROPOSED_AT = "2025-06-01T12:00:00+00:00"
SIGNED_AT = "2025-06-01T12:30:00+00:00"
SERIAL = itertools.count(1)

RIVERSIDE = Org(
    key="riverside",
    msp_id="RiversideMSP",
    display_name="Riverside Energy Cooperative",
    kind="community",
    port_base=10000,
    users=(
        User("household1", "household", {"household_id": "h-riverside-001"}),
        User("household2", "household", {"household_id": "h-riverside-002"}),
    ),
)
LAKESIDE = Org(
    key="lakeside",
    msp_id="LakesideMSP",
    display_name="Lakeside Energy Cooperative",
    kind="community",
    port_base=11000,
)
OWN_CHANNEL = "community-riverside"

APP_ADMINS = "/Channel/Application/Admins"
FOUNDING_MSPS = ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
ADMIT_RIVERSIDE = Requirement(APP_ADMINS, "MAJORITY Admins", FOUNDING_MSPS, 2)
# Taking Riverside out: a majority of four in `consortium`, of three in its own channel,
# where the Sunnyside community (CommunityMSP) is no member.
CONSORTIUM_WITH_RIVERSIDE = ("CommunityMSP", "RegulatorMSP", "RiversideMSP", "UtilityMSP")
REMOVE_FROM_CONSORTIUM = Requirement(APP_ADMINS, "MAJORITY Admins", CONSORTIUM_WITH_RIVERSIDE, 3)
REMOVE_FROM_OWN_CHANNEL = Requirement(
    APP_ADMINS, "MAJORITY Admins", ("RegulatorMSP", "RiversideMSP", "UtilityMSP"), 2
)


class FabricReached(AssertionError):
    """A step that would run a Fabric binary or touch a node was reached."""


@pytest.fixture(autouse=True)
def no_fabric(monkeypatch):
    """Whatever a test does not replace itself fails loudly instead of running Fabric."""

    def reached(name: str) -> Callable[..., Any]:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise FabricReached(f"{name} was called")

        return fail

    for name in ("sign", "submit", "propose", "fetch_config_block"):
        monkeypatch.setattr(onboarding.configupdate, name, reached(f"configupdate.{name}"))
    for name in ("start_nodes", "stop_nodes", "register_members", "record_on_registry"):
        monkeypatch.setattr(onboarding, name, reached(f"onboarding.{name}"))


@pytest.fixture
def signing(monkeypatch) -> list[tuple[str, str]]:
    """Admins' signatures recorded on the proposals without `peer`: (channel, MSP id) each."""
    calls: list[tuple[str, str]] = []

    def record(update: UpdateProposal, msp_id: str) -> None:
        calls.append((update.channel, msp_id))
        update.record_signature(msp_id, SIGNED_AT)
        update.save()

    def fake_sign(update: UpdateProposal, org: Org) -> None:
        record(update, org.msp_id)

    def fake_sign_with(
        update: UpdateProposal, msp_id: str, certificate: bytes, signer: Callable[[bytes], bytes]
    ) -> None:
        record(update, msp_id)

    monkeypatch.setattr(onboarding.configupdate, "sign", fake_sign)
    monkeypatch.setattr(onboarding.configupdate, "sign_with", fake_sign_with)
    return calls


@pytest.fixture
def finishing(monkeypatch) -> list[tuple[str, str, str]]:
    """Both finish functions replaced: (kind, change id, submitter MSP id) per call."""
    calls: list[tuple[str, str, str]] = []

    def fake(kind: str, change: MembershipChange, submitter: Org) -> dict[str, Any]:
        calls.append((kind, change.id, submitter.msp_id))
        return {"change_id": change.id, "finished_as": kind, "config_block": 7}

    monkeypatch.setattr(onboarding, "finish_admission", partial(fake, ADMISSION))
    monkeypatch.setattr(onboarding, "finish_removal", partial(fake, REMOVAL))
    return calls


@contextmanager
def refused(kind: type[Exception], message: str) -> Iterator[None]:
    """Expect `kind` with exactly `message`."""
    with pytest.raises(kind) as caught:
        yield
    assert str(caught.value) == message


def proposal(
    channel: str, *requirements: Requirement, signatures: tuple[tuple[str, str], ...] = ()
) -> UpdateProposal:
    """An update proposal on disk as `configupdate.propose` leaves it, signed as given."""
    proposal_id = f"{STAMP}-{channel}-{next(SERIAL):06x}"
    update = UpdateProposal(
        id=proposal_id,
        channel=channel,
        description=f"change {channel}",
        proposed_by="UtilityMSP",
        proposed_at=PROPOSED_AT,
        base_block=4,
        requirements=requirements,
        folder=updates_dir() / proposal_id,
        signatures=[Signature(msp_id, at) for msp_id, at in signatures],
    )
    update.folder.mkdir(parents=True)
    update.envelope_file.write_bytes(update_envelope(channel, f"update {proposal_id}".encode()))
    update.save()
    return update


def membership_change(
    kind: str, updates: dict[str, UpdateProposal], status: str = "proposed", **result: Any
) -> MembershipChange:
    change = MembershipChange(
        id=f"{STAMP}-{kind}-riverside-{next(SERIAL):06x}",
        kind=kind,
        org_key="riverside",
        msp_id="RiversideMSP",
        proposed_by="UtilityMSP",
        proposed_at=PROPOSED_AT,
        proposals={channel: update.id for channel, update in updates.items()},
        status=status,
        result=dict(result),
    )
    change.save()
    return change


def admission_change(*signers: str, status: str = "proposed", **result: Any) -> MembershipChange:
    """Riverside's admission: one update of `consortium`, 2 of the 3 founders' admins.

    Riverside is joining (its nodes run) unless a test has recorded it otherwise.
    """
    if admission("riverside") is None:
        save_admission(Admission(RIVERSIDE, JOINING))
    update = proposal(
        CONSORTIUM_CHANNEL, ADMIT_RIVERSIDE, signatures=tuple((m, SIGNED_AT) for m in signers)
    )
    return membership_change(ADMISSION, {CONSORTIUM_CHANNEL: update}, status, **result)


def removal_change(
    consortium: tuple[str, ...] = (), own_channel: tuple[str, ...] = ()
) -> MembershipChange:
    """Riverside's removal: `consortium` (3 of 4) and `community-riverside` (2 of 3)."""
    updates = {
        CONSORTIUM_CHANNEL: proposal(
            CONSORTIUM_CHANNEL,
            REMOVE_FROM_CONSORTIUM,
            signatures=tuple((m, SIGNED_AT) for m in consortium),
        ),
        OWN_CHANNEL: proposal(
            OWN_CHANNEL,
            REMOVE_FROM_OWN_CHANNEL,
            signatures=tuple((m, SIGNED_AT) for m in own_channel),
        ),
    }
    return membership_change(REMOVAL, updates)


def signers_on_disk(change: MembershipChange) -> dict[str, tuple[str, ...]]:
    return {channel: update.signed_by for channel, update in change.updates().items()}


def by_cli(change: MembershipChange, org: Org) -> list[str]:
    return sign(change, org)


def by_wallet(change: MembershipChange, org: Org) -> list[str]:
    return sign_with(change, org.msp_id, b"certificate", lambda digest: b"signature")


SIGN_ENTRY_POINTS = pytest.mark.parametrize("sign_as", [by_cli, by_wallet], ids=["sign", "wallet"])


# ---------------------------------------------------------------- the change record


def test_a_change_round_trips_through_its_file():
    change = admission_change("UtilityMSP")

    assert change.file == changes_dir() / f"{change.id}.json"
    assert CHANGE_ID.match(change.id)
    assert json.loads(change.file.read_text())["format"] == "gridledger/membership-change/1"
    assert load_change(change.id) == change


def test_a_completed_change_round_trips_with_its_result():
    change = admission_change("UtilityMSP", "RegulatorMSP", status="completed", config_block=9)

    loaded = load_change(change.id)

    assert loaded.status == "completed"
    assert loaded.result == {"config_block": 9}


@pytest.mark.parametrize(
    "change_id",
    ["nope", "../x", "../changes/nope", f"{STAMP}-admission-riverside-abcdef"],
    ids=["malformed", "parent-folder", "traversal", "well-formed-but-absent"],
)
def test_an_unknown_or_malformed_change_is_not_proposed(change_id):
    # A file where a malformed id points must not be read: `../x` is a member record.
    changes_dir().mkdir(parents=True)
    (changes_dir() / "nope.json").write_text("{}")
    (admissions_dir() / "x.json").write_text("{}")

    with refused(ChangeNotFound, f"membership change {change_id} is not proposed"):
        load_change(change_id)


# ---------------------------------------------------------------- signatures and what is missing


def test_signatures_are_each_orgs_earliest_across_the_updates_sorted_by_msp():
    updates = {
        CONSORTIUM_CHANNEL: proposal(
            CONSORTIUM_CHANNEL,
            REMOVE_FROM_CONSORTIUM,
            signatures=(
                ("UtilityMSP", "2025-06-01T12:20:00+00:00"),
                ("RegulatorMSP", "2025-06-01T12:05:00+00:00"),
                ("CommunityMSP", "2025-06-01T12:40:00+00:00"),
            ),
        ),
        OWN_CHANNEL: proposal(
            OWN_CHANNEL,
            REMOVE_FROM_OWN_CHANNEL,
            signatures=(
                ("RegulatorMSP", "2025-06-01T12:06:00+00:00"),
                ("UtilityMSP", "2025-06-01T12:10:00+00:00"),
            ),
        ),
    }
    change = membership_change(REMOVAL, updates)

    assert change.signatures() == [
        {"msp_id": "CommunityMSP", "signed_at": "2025-06-01T12:40:00+00:00"},
        {"msp_id": "RegulatorMSP", "signed_at": "2025-06-01T12:05:00+00:00"},
        {"msp_id": "UtilityMSP", "signed_at": "2025-06-01T12:10:00+00:00"},
    ]


def test_a_change_nobody_signed_has_no_signatures():
    assert removal_change().signatures() == []


U, R, C = "UtilityMSP", "RegulatorMSP", "CommunityMSP"


@pytest.mark.parametrize(
    ("consortium", "own_channel", "outstanding"),
    [
        ((), (), {CONSORTIUM_CHANNEL: {APP_ADMINS: 3}, OWN_CHANNEL: {APP_ADMINS: 2}}),
        ((U,), (U,), {CONSORTIUM_CHANNEL: {APP_ADMINS: 2}, OWN_CHANNEL: {APP_ADMINS: 1}}),
        ((U, R), (U, R), {CONSORTIUM_CHANNEL: {APP_ADMINS: 1}}),
        ((U, R, C), (U,), {OWN_CHANNEL: {APP_ADMINS: 1}}),
        ((U, R, C), (U, R), {}),
    ],
    ids=["none", "one-each", "consortium-short", "own-channel-short", "majority-everywhere"],
)
def test_outstanding_lists_channel_policy_and_admins_missing_until_each_update_has_enough(
    consortium, own_channel, outstanding
):
    assert removal_change(consortium, own_channel).outstanding() == outstanding


def test_a_signer_outside_the_requirement_counts_for_nothing():
    assert admission_change("LakesideMSP", "UtilityMSP").outstanding() == {
        CONSORTIUM_CHANNEL: {APP_ADMINS: 1}
    }


def test_to_json_carries_the_record_signatures_outstanding_and_requirements():
    change = removal_change(consortium=("UtilityMSP",))

    document = change.to_json()

    assert document == {
        "format": "gridledger/membership-change/1",
        "id": change.id,
        "kind": "removal",
        "org_key": "riverside",
        "msp_id": "RiversideMSP",
        "proposed_by": "UtilityMSP",
        "proposed_at": PROPOSED_AT,
        "proposals": change.proposals,
        "status": "proposed",
        "result": {},
        "signatures": [{"msp_id": "UtilityMSP", "signed_at": SIGNED_AT}],
        "outstanding": {CONSORTIUM_CHANNEL: {APP_ADMINS: 2}, OWN_CHANNEL: {APP_ADMINS: 2}},
        "requirements": {
            CONSORTIUM_CHANNEL: [
                {"policy": APP_ADMINS, "needed": 3, "orgs": list(CONSORTIUM_WITH_RIVERSIDE)}
            ],
            OWN_CHANNEL: [
                {
                    "policy": APP_ADMINS,
                    "needed": 2,
                    "orgs": ["RegulatorMSP", "RiversideMSP", "UtilityMSP"],
                }
            ],
        },
    }
    assert json.loads(json.dumps(document)) == document


# ---------------------------------------------------------------- who may sign what


@SIGN_ENTRY_POINTS
def test_the_org_whose_membership_changes_may_not_sign(signing, sign_as):
    change = removal_change()

    with refused(NotEntitled, "RiversideMSP may not sign a change of its own membership"):
        sign_as(change, RIVERSIDE)
    assert signing == []


@SIGN_ENTRY_POINTS
def test_an_org_named_in_no_requirement_has_no_say(signing, sign_as):
    change = admission_change()

    message = f"LakesideMSP's admin has no say in membership change {change.id}"
    with refused(NotEntitled, message):
        sign_as(change, LAKESIDE)
    assert signing == []


@SIGN_ENTRY_POINTS
def test_an_org_signs_only_the_updates_it_takes_part_in(signing, sign_as):
    change = removal_change()

    assert sign_as(change, COMMUNITY) == [CONSORTIUM_CHANNEL]
    assert sign_as(change, UTILITY) == [CONSORTIUM_CHANNEL, OWN_CHANNEL]

    assert signing == [
        (CONSORTIUM_CHANNEL, "CommunityMSP"),
        (CONSORTIUM_CHANNEL, "UtilityMSP"),
        (OWN_CHANNEL, "UtilityMSP"),
    ]
    assert signers_on_disk(change) == {
        CONSORTIUM_CHANNEL: ("CommunityMSP", "UtilityMSP"),
        OWN_CHANNEL: ("UtilityMSP",),
    }


@SIGN_ENTRY_POINTS
def test_an_org_that_signed_one_update_signs_only_the_rest(signing, sign_as):
    change = removal_change(consortium=("RegulatorMSP",))

    assert sign_as(change, REGULATOR) == [OWN_CHANNEL]
    assert signing == [(OWN_CHANNEL, "RegulatorMSP")]


@SIGN_ENTRY_POINTS
def test_a_second_signature_is_refused(signing, sign_as):
    change = removal_change()
    sign_as(change, UTILITY)

    message = f"UtilityMSP has already signed membership change {change.id}"
    with refused(ChangeRefused, message):
        sign_as(change, UTILITY)
    assert len(signing) == 2


@SIGN_ENTRY_POINTS
def test_a_completed_change_takes_no_more_signatures(signing, sign_as):
    change = admission_change("UtilityMSP", "RegulatorMSP", status="completed")

    with refused(ChangeRefused, f"membership change {change.id} is completed"):
        sign_as(change, COMMUNITY)
    assert signing == []


def test_sign_with_puts_the_admins_signature_into_each_envelope_it_signs():
    """The real `configupdate.sign_with` (no `peer`): the envelope gains the signer's MSP."""
    change = removal_change()
    digests: list[bytes] = []

    def signer(digest: bytes) -> bytes:
        digests.append(digest)
        return b"signature"

    assert sign_with(change, "CommunityMSP", b"certificate", signer) == [CONSORTIUM_CHANNEL]

    updates = change.updates()
    assert len(digests) == 1
    assert len(digests[0]) == 32
    assert envelope_signers(updates[CONSORTIUM_CHANNEL].envelope_file.read_bytes()) == [
        "CommunityMSP"
    ]
    assert envelope_signers(updates[OWN_CHANNEL].envelope_file.read_bytes()) == []
    assert signers_on_disk(change) == {CONSORTIUM_CHANNEL: ("CommunityMSP",), OWN_CHANNEL: ()}


# ---------------------------------------------------------------- signing by majority


def test_sign_by_majority_signs_in_order_of_the_orgs_until_enough_have(signing):
    save_admission(Admission(RIVERSIDE, JOINING))
    change = admission_change()

    sign_by_majority(change)

    assert signing == [(CONSORTIUM_CHANNEL, "UtilityMSP"), (CONSORTIUM_CHANNEL, "CommunityMSP")]
    assert change.outstanding() == {}
    assert signers_on_disk(change) == {CONSORTIUM_CHANNEL: ("UtilityMSP", "CommunityMSP")}


def test_sign_by_majority_skips_the_subject_org_and_orgs_with_no_say(signing, monkeypatch):
    monkeypatch.setattr(onboarding, "orgs", lambda: (RIVERSIDE, LAKESIDE, UTILITY, COMMUNITY))
    change = admission_change()

    sign_by_majority(change)

    assert signing == [(CONSORTIUM_CHANNEL, "UtilityMSP"), (CONSORTIUM_CHANNEL, "CommunityMSP")]
    assert change.outstanding() == {}


def test_sign_by_majority_skips_an_org_that_has_signed_already(signing):
    change = admission_change("UtilityMSP")

    sign_by_majority(change)

    assert signing == [(CONSORTIUM_CHANNEL, "CommunityMSP")]


def test_sign_by_majority_signs_every_update_of_a_removal_until_each_has_enough(signing):
    save_admission(Admission(RIVERSIDE, ACTIVE))
    change = removal_change()

    sign_by_majority(change)

    assert signing == [
        (CONSORTIUM_CHANNEL, "UtilityMSP"),
        (OWN_CHANNEL, "UtilityMSP"),
        (CONSORTIUM_CHANNEL, "CommunityMSP"),
        (CONSORTIUM_CHANNEL, "RegulatorMSP"),
        (OWN_CHANNEL, "RegulatorMSP"),
    ]
    assert change.outstanding() == {}


def test_sign_by_majority_adds_nothing_once_a_majority_has_signed(signing):
    change = admission_change("RegulatorMSP", "CommunityMSP")

    sign_by_majority(change)

    assert signing == []


# ---------------------------------------------------------------- completion


@pytest.mark.parametrize(
    ("make_change", "wanted"),
    [
        (
            lambda: admission_change("UtilityMSP"),
            "consortium: 1 more of /Channel/Application/Admins",
        ),
        (lambda: admission_change(), "consortium: 2 more of /Channel/Application/Admins"),
        (
            lambda: removal_change(("UtilityMSP", "RegulatorMSP", "CommunityMSP")),
            "community-riverside: 2 more of /Channel/Application/Admins",
        ),
        (
            lambda: removal_change(),
            "consortium: 3 more of /Channel/Application/Admins;"
            " community-riverside: 2 more of /Channel/Application/Admins",
        ),
    ],
    ids=["admission-one-short", "admission-unsigned", "removal-one-update-short", "removal-both"],
)
def test_complete_refuses_while_admin_signatures_are_missing(finishing, make_change, wanted):
    change = make_change()

    message = f"membership change {change.id} needs more admin signatures ({wanted})"
    with refused(ChangeRefused, message):
        complete(change, UTILITY)
    assert finishing == []
    assert load_change(change.id).status == "proposed"


def test_complete_refuses_the_org_whose_membership_changes_as_submitter(finishing):
    save_admission(Admission(RIVERSIDE, JOINING))
    change = admission_change("UtilityMSP", "RegulatorMSP")

    with refused(NotEntitled, "RiversideMSP may not submit a change of its own membership"):
        complete(change, RIVERSIDE)
    assert finishing == []
    assert load_change(change.id).status == "proposed"


def test_complete_returns_the_stored_result_of_a_completed_change(finishing):
    change = admission_change("UtilityMSP", "RegulatorMSP", status="completed", config_block=9)

    assert complete(change, REGULATOR) == {"config_block": 9}
    assert finishing == []


@pytest.mark.parametrize(
    ("make_change", "kind", "standing"),
    [
        (lambda: admission_change("UtilityMSP", "CommunityMSP"), ADMISSION, JOINING),
        (
            lambda: removal_change(
                ("UtilityMSP", "RegulatorMSP", "CommunityMSP"), ("UtilityMSP", "RegulatorMSP")
            ),
            REMOVAL,
            ACTIVE,
        ),
    ],
    ids=["admission", "removal"],
)
def test_complete_finishes_a_ready_change_once_and_stores_the_result(
    finishing, make_change, kind, standing
):
    save_admission(Admission(RIVERSIDE, standing))
    change = make_change()
    expected = {"change_id": change.id, "finished_as": kind, "config_block": 7}

    assert complete(change, REGULATOR) == expected

    assert finishing == [(kind, change.id, "RegulatorMSP")]
    assert (change.status, change.result) == ("completed", expected)
    stored = load_change(change.id)
    assert (stored.status, stored.result) == ("completed", expected)

    assert complete(change, UTILITY) == expected
    assert complete(load_change(change.id), COMMUNITY) == expected
    assert len(finishing) == 1


def test_an_admission_withdrawn_before_it_completed_cannot_be_completed(monkeypatch):
    """Otherwise the withdrawn org's MSP would go into `consortium` with its nodes stopped."""
    save_admission(Admission(RIVERSIDE, JOINING))
    change = admission_change("UtilityMSP", "RegulatorMSP")
    monkeypatch.setattr(onboarding, "stop_nodes", lambda org: None)
    withdraw("riverside")

    with refused(ChangeRefused, "riverside was withdrawn; its admission can no longer complete"):
        complete(change, COMMUNITY)
    with refused(ChangeRefused, "riverside was withdrawn; its admission can no longer complete"):
        sign(change, COMMUNITY)
    assert admission("riverside") == Admission(RIVERSIDE, WITHDRAWN)


# ---------------------------------------------------------------- a new org


@pytest.mark.parametrize("key", ["R", "a", "river-side", "1river", "a" * 32, "River", ""])
def test_new_org_refuses_a_key_that_is_not_2_to_31_lowercase_letters_or_digits(key):
    with refused(NetworkError, f"org key {key!r} must be 2-31 lowercase letters or digits"):
        new_org(key)


@pytest.mark.parametrize("key", ["ab", "r2d2", "a" * 31])
def test_new_org_takes_a_key_of_2_to_31_lowercase_letters_or_digits(key):
    assert new_org(key).key == key


def test_new_org_defaults_to_a_community_with_two_households_at_the_next_ports():
    assert new_org("riverside") == RIVERSIDE


def test_new_org_takes_a_name_and_msp_id():
    org = new_org("riverside", "Riverside Power", "RiverMSP")

    assert (org.display_name, org.msp_id) == ("Riverside Power", "RiverMSP")


def test_new_org_gets_the_block_of_ports_after_the_admitted_orgs():
    save_admission(Admission(RIVERSIDE, ACTIVE))

    assert new_org("lakeside").port_base == 11000


@pytest.mark.parametrize(
    ("org", "message"),
    [
        (replace(RIVERSIDE, key="community", msp_id="SunnysideMSP"), "community (SunnysideMSP)"),
        (replace(RIVERSIDE, key="sunny", msp_id="CommunityMSP"), "sunny (CommunityMSP)"),
        (replace(RIVERSIDE, key="utility", msp_id="UtilityMSP"), "utility (UtilityMSP)"),
    ],
    ids=["founding-key", "founding-msp", "both"],
)
def test_check_new_refuses_a_founding_members_key_or_msp_id(org, message):
    with refused(ChangeRefused, f"{message} is a founding member already"):
        check_new(org)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ACTIVE, "riverside is a member already"),
        (
            REMOVED,
            "riverside was removed from the consortium; admit it under a new key and MSP id",
        ),
    ],
)
def test_check_new_refuses_the_key_of_an_active_or_removed_org(status, message):
    save_admission(Admission(RIVERSIDE, status))

    with refused(ChangeRefused, message):
        check_new(RIVERSIDE)


def test_check_new_accepts_a_withdrawn_org_again():
    save_admission(Admission(RIVERSIDE, WITHDRAWN))

    check_new(RIVERSIDE)


def test_check_new_accepts_an_org_never_seen():
    save_admission(Admission(LAKESIDE, ACTIVE))

    check_new(RIVERSIDE)


@pytest.mark.parametrize("status", [JOINING, ACTIVE, REMOVED])
def test_check_new_refuses_the_msp_id_of_an_admitted_org_under_a_new_key(status):
    """One MSP id, one org: not even a removed org's id is given to another."""
    save_admission(Admission(RIVERSIDE, status))

    with refused(
        ChangeRefused, f"MSP id RiversideMSP belongs to riverside ({status}); choose another"
    ):
        check_new(replace(LAKESIDE, msp_id="RiversideMSP"))


# ---------------------------------------------------------------- withdrawal


@pytest.mark.parametrize("status", [None, ACTIVE, REMOVED, WITHDRAWN])
def test_withdraw_refuses_an_org_that_is_not_joining(status):
    if status is not None:
        save_admission(Admission(RIVERSIDE, status))

    message = "riverside is not joining; a member is removed by a majority instead"
    with refused(ChangeRefused, message):
        withdraw("riverside")
    assert admission("riverside") == (Admission(RIVERSIDE, status) if status else None)


def test_withdraw_stops_a_joining_orgs_nodes_and_records_it_withdrawn(monkeypatch):
    stopped: list[Org] = []
    monkeypatch.setattr(onboarding, "stop_nodes", stopped.append)
    save_admission(Admission(RIVERSIDE, JOINING))

    withdraw("riverside")

    assert stopped == [RIVERSIDE]
    assert admission("riverside") == Admission(RIVERSIDE, WITHDRAWN)


# ---------------------------------------------------------------- removal


@pytest.fixture
def proposing(monkeypatch) -> list[tuple[str, str, Any, str]]:
    """`configupdate.propose` writing a removal proposal by hand: (channel, proposer, edit,
    description) per call."""
    calls: list[tuple[str, str, Any, str]] = []
    needs = {CONSORTIUM_CHANNEL: REMOVE_FROM_CONSORTIUM, OWN_CHANNEL: REMOVE_FROM_OWN_CHANNEL}

    def fake_propose(
        channel: str, org: Org, change: Callable[..., Any], description: str = ""
    ) -> UpdateProposal:
        calls.append((channel, org.msp_id, change, description))
        return proposal(channel, needs[channel])

    monkeypatch.setattr(onboarding.configupdate, "propose", fake_propose)
    return calls


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (None, ChangeNotFound, "riverside was never admitted"),
        (JOINING, ChangeRefused, "riverside is joining, not an active member"),
        (REMOVED, ChangeRefused, "riverside is removed, not an active member"),
        (WITHDRAWN, ChangeRefused, "riverside is withdrawn, not an active member"),
    ],
)
def test_only_an_active_admitted_org_can_be_removed(proposing, status, kind, message):
    if status is not None:
        save_admission(Admission(RIVERSIDE, status))

    with refused(kind, message):
        member("riverside")
    with refused(kind, message):
        remove("riverside", UTILITY)
    assert proposing == []


@pytest.mark.parametrize("key", ["utility", "community", "regulator"])
def test_a_founding_member_cannot_be_removed(proposing, key):
    message = f"{key} is a founding member; only admitted orgs can be removed"
    with refused(NotEntitled, message):
        member(key)
    with refused(NotEntitled, message):
        remove(key, REGULATOR)
    assert proposing == []


def test_member_is_the_active_orgs_record():
    save_admission(Admission(RIVERSIDE, ACTIVE))

    assert member("riverside") == RIVERSIDE


def test_an_org_cannot_propose_its_own_removal(proposing):
    save_admission(Admission(RIVERSIDE, ACTIVE))

    message = "an org cannot propose its own removal; another member proposes it"
    with refused(NotEntitled, message):
        remove("riverside", RIVERSIDE)
    assert proposing == []
    assert not changes_dir().exists()


def test_remove_proposes_both_channels_and_records_the_change(proposing):
    save_admission(Admission(RIVERSIDE, ACTIVE))

    change = remove("riverside", REGULATOR)

    description = "remove RiversideMSP (Riverside Energy Cooperative)"
    assert [(ch, by, d) for ch, by, _, d in proposing] == [
        (CONSORTIUM_CHANNEL, "RegulatorMSP", description),
        (OWN_CHANNEL, "RegulatorMSP", description),
    ]
    for _, _, edit, _ in proposing:
        assert (edit.func, edit.keywords) == (orgconfig.remove_org, {"org": RIVERSIDE})
    assert CHANGE_ID.match(change.id)
    assert (change.kind, change.org_key, change.msp_id) == (REMOVAL, "riverside", "RiversideMSP")
    assert (change.proposed_by, change.status) == ("RegulatorMSP", "proposed")
    assert set(change.proposals) == {CONSORTIUM_CHANNEL, OWN_CHANNEL}
    assert change.proposed_at == configupdate.load(change.proposals[OWN_CHANNEL]).proposed_at
    assert load_change(change.id) == change
