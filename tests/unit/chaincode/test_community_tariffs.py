"""TariffContract over the in-memory ledger: proposal, approval, the tariff in force.

FakeLedger stamps its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n). The
tariff rules themselves (bands, prices) are tested in tests/unit/community; here the
contract: who may propose and approve, state, idempotency, events and exact messages.
"""

import json

import pytest
from ccfakes import FakeLedger, identity
from ccommunity import (
    BILLING,
    NO_ROLE,
    OPERATOR,
    REGULATOR,
    TOU,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    household,
    invoke,
)

HOUSEHOLD = household(1)
# TOU as the ledger keeps it: bands normalised to objects
TOU_RECORD = {
    **TOU,
    "bands": [
        {"name": "night", "start": "22:00", "end": "06:00", "import_price_per_kwh": 20},
        {"name": "day", "start": "06:00", "end": "17:00", "import_price_per_kwh": 30},
        {"name": "peak", "start": "17:00", "end": "22:00", "import_price_per_kwh": 45},
    ],
}


def tariff(**changes):
    return {**TOU, **changes}


def propose(ledger, cc, record, creator=OPERATOR):
    raw = record if isinstance(record, str) else json.dumps(record)
    return invoke(ledger, cc, creator, "TariffContract:ProposeTariff", raw)


def approve(ledger, cc, tariff_id="tou-1", creator=REGULATOR):
    return invoke(ledger, cc, creator, "TariffContract:ApproveTariff", tariff_id)


def in_force(ledger, cc, day, creator=HOUSEHOLD):
    return invoke(ledger, cc, creator, "TariffContract:TariffInForce", day)


def snapshot(ledger):
    return dict(ledger.state), list(ledger.events)


@pytest.fixture
def proposed(cc):
    ledger = FakeLedger()
    assert propose(ledger, cc, TOU).status == 200
    return ledger


# --- ProposeTariff ---------------------------------------------------------------------


def test_the_utilitys_operator_proposes_a_tariff(cc):
    ledger = FakeLedger()
    result = propose(ledger, cc, TOU)
    assert result.status == 200, result.message
    record = {
        "tariff": TOU_RECORD,
        "status": "proposed",
        "proposed_by": "operator1",
        "proposed_at": "2026-03-01T09:31:00Z",
        "approved_by": None,
        "approved_at": None,
    }
    assert result.json() == record
    assert ledger.state == {"tariff~tou-1": canonical(record)}
    assert ledger.private == {}
    assert ledger.events == [("TariffProposed", canonical({"tariff_id": "tou-1"}))]

    read = invoke(ledger, cc, REGULATOR, "TariffContract:GetTariff", "tou-1")
    assert (read.status, read.payload) == (200, canonical(record))


@pytest.mark.parametrize("record", [TOU, TOU_RECORD], ids=["bands-as-lists", "bands-as-objects"])
def test_proposing_the_same_tariff_again_is_a_no_op(cc, proposed, record):
    first = invoke(proposed, cc, REGULATOR, "TariffContract:GetTariff", "tou-1")
    before = snapshot(proposed)
    again = propose(proposed, cc, record)
    assert (again.status, again.payload) == (200, first.payload)
    assert (again.stub.writes, again.stub.events) == ({}, [])
    assert snapshot(proposed) == before


def test_the_same_proposal_after_approval_returns_the_approved_record(cc, proposed):
    approved = approve(proposed, cc)
    again = propose(proposed, cc, TOU)
    assert (again.status, again.payload, again.stub.writes) == (200, approved.payload, {})


@pytest.mark.parametrize("approved", [False, True], ids=["proposed", "approved"])
@pytest.mark.parametrize(
    "changes",
    [
        {"feed_in_price_per_kwh": 9},
        {"valid_from": "2026-02-01"},
        {"bands": [["flat", "00:00", "24:00", 30]]},
    ],
    ids=["price", "valid-from", "bands"],
)
def test_a_proposal_reusing_a_tariff_id_with_other_terms_is_refused(
    cc, proposed, changes, approved
):
    if approved:
        assert approve(proposed, cc).status == 200
    before = snapshot(proposed)
    result = propose(proposed, cc, tariff(**changes))
    assert (result.status, result.message) == (
        500,
        "tariff tou-1 is already proposed with other terms",
    )
    assert snapshot(proposed) == before


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (
            identity("CommunityMSP", "operator", cn="op"),
            "caller from CommunityMSP (community) may not call ProposeTariff; allowed: utility",
        ),
        (
            REGULATOR,
            "caller from RegulatorMSP (regulator) may not call ProposeTariff; allowed: utility",
        ),
        (BILLING, "caller role 'billing' may not call ProposeTariff; allowed: operator"),
        (
            identity("UtilityMSP", "meter", cn="headend1"),
            "caller role 'meter' may not call ProposeTariff; allowed: operator",
        ),
        (NO_ROLE, "caller without a role may not call ProposeTariff; allowed: operator"),
        (
            HOUSEHOLD,
            "caller from CommunityMSP (community) may not call ProposeTariff; allowed: utility",
        ),
    ],
    ids=["community-operator", "regulator", "billing", "meter", "no-role", "household"],
)
def test_only_the_utilitys_operator_may_propose(cc, creator, message):
    ledger = FakeLedger()
    result = propose(ledger, cc, TOU, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == ({}, [])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            tariff(currency="eur"),
            "tariff tou-1: currency 'eur' is not an iso 4217 code like EUR",
        ),
        (tariff(bands=TOU["bands"][1:]), "tariff tou-1: bands leave 22:00-06:00 uncovered"),
        (
            tariff(bands=[["day", "06:10", "17:00", 30]]),
            "tariff tou-1: band day: start 06:10 is not aligned to 15 minutes",
        ),
        (
            {k: v for k, v in TOU.items() if k != "valid_from"},
            "tariff tou-1: field valid_from is missing",
        ),
        (
            tariff(valid_from="2026-02-30"),
            "tariff tou-1: valid_from '2026-02-30' is not an iso-8601 date like 2026-03-01",
        ),
        (
            tariff(daily_fixed_charge=-1),
            "tariff tou-1: daily_fixed_charge must be between 0 and 1000000",
        ),
        (
            tariff(tariff_id="tou 1"),
            "tariff id 'tou 1' is invalid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        ),
        ([TOU], "tariff must be a JSON object"),
    ],
    ids=[
        "currency",
        "bands-gap",
        "band-unaligned",
        "missing-field",
        "valid-from",
        "fixed-charge",
        "tariff-id",
        "not-an-object",
    ],
)
def test_an_invalid_tariff_is_refused_with_the_domains_message(cc, raw, message):
    ledger = FakeLedger()
    result = propose(ledger, cc, raw)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == ({}, [])


@pytest.mark.parametrize(
    "raw",
    [
        "tariff tou-1, please",
        "",
        json.dumps(TOU)[:-1],
        str(TOU),  # a Python dict's repr: single quotes
        json.dumps(TOU) + " {}",
        '{"tariff_id": "tou-1",}',
    ],
    ids=["prose", "empty", "truncated", "python-repr", "trailing-data", "trailing-comma"],
)
def test_a_proposal_that_is_not_json_is_refused_with_a_precise_message(cc, raw):
    # Like every other parser of the chaincode ("grid event must be a JSON object",
    # "transient 'order' must be a JSON object"), not the json module's own text.
    ledger = FakeLedger()
    result = propose(ledger, cc, raw)
    assert (result.status, result.message) == (500, "tariff must be a JSON object")
    assert snapshot(ledger) == ({}, [])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "tariff is nested too deeply"),
        (
            json.dumps({**TOU, "daily_fixed_charge": "X"}).replace('"X"', "NaN"),
            "tariff holds NaN: numbers must be finite",
        ),
        (
            json.dumps({**TOU, "daily_fixed_charge": "X"}).replace('"X"', "1e999"),
            "tariff holds 1e999: numbers must be finite",
        ),
        (
            json.dumps({**TOU, "daily_fixed_charge": "X"}).replace('"X"', "9" * 4301),
            "tariff holds a number of more than 4300 digits",
        ),
    ],
    ids=["nested-100000-deep", "nan", "beyond-float", "4301-digits"],
)
def test_json_the_ledger_cannot_keep_is_refused_with_a_precise_message(cc, raw, message):
    ledger = FakeLedger()
    result = propose(ledger, cc, raw)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == ({}, [])


# --- ApproveTariff ---------------------------------------------------------------------


def test_the_regulator_approves_a_proposed_tariff(cc, proposed):
    proposal = json.loads(proposed.state["tariff~tou-1"])
    result = approve(proposed, cc)
    assert result.status == 200, result.message
    record = {
        **proposal,
        "status": "approved",
        "approved_by": "RegulatorMSP:rita",
        "approved_at": "2026-03-01T09:32:00Z",
    }
    assert result.json() == record
    assert result.stub.writes == {"tariff~tou-1": canonical(record)}
    assert proposed.state == {"tariff~tou-1": canonical(record)}
    assert proposed.events[-1] == ("TariffApproved", canonical({"tariff_id": "tou-1"}))


def test_approving_twice_is_a_no_op(cc, proposed):
    first = approve(proposed, cc)
    before = snapshot(proposed)
    again = approve(proposed, cc, creator=identity("RegulatorMSP", "regulator", cn="other"))
    assert (again.status, again.payload) == (200, first.payload)
    assert (again.stub.writes, again.stub.events) == ({}, [])
    assert snapshot(proposed) == before


@pytest.mark.parametrize("transaction", ["ApproveTariff", "GetTariff"])
def test_an_unknown_tariff_is_not_found(cc, proposed, transaction):
    result = invoke(proposed, cc, REGULATOR, f"TariffContract:{transaction}", "tou-9")
    assert (result.status, result.message) == (500, "tariff tou-9 is not proposed")


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (
            OPERATOR,
            "caller from UtilityMSP (utility) may not call ApproveTariff; allowed: regulator",
        ),
        (
            identity("CommunityMSP", "regulator", cn="fake"),
            "caller from CommunityMSP (community) may not call ApproveTariff; allowed: regulator",
        ),
        (
            identity("RegulatorMSP", "auditor", cn="audrey"),
            "caller role 'auditor' may not call ApproveTariff; allowed: regulator",
        ),
        (
            identity("RegulatorMSP", None, cn="nobody"),
            "caller without a role may not call ApproveTariff; allowed: regulator",
        ),
    ],
    ids=["utility-operator", "community-regulator-role", "regulator-auditor", "no-role"],
)
def test_only_the_regulators_regulator_role_may_approve(cc, proposed, creator, message):
    before = snapshot(proposed)
    result = approve(proposed, cc, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(proposed) == before


# --- TariffInForce ---------------------------------------------------------------------


@pytest.fixture
def history(cc):
    """tou-jan (from 01-01) and tou-mar (from 03-01) approved; tou-feb (02-15) only proposed."""
    ledger = FakeLedger()
    for tariff_id, valid_from in (
        ("tou-jan", "2026-01-01"),
        ("tou-feb", "2026-02-15"),
        ("tou-mar", "2026-03-01"),
    ):
        assert propose(ledger, cc, tariff(tariff_id=tariff_id, valid_from=valid_from)).status == 200
    for tariff_id in ("tou-mar", "tou-jan"):  # approval order must not matter
        assert approve(ledger, cc, tariff_id).status == 200
    return ledger


@pytest.mark.parametrize(
    ("day", "tariff_id"),
    [
        ("2026-01-01", "tou-jan"),
        ("2026-02-14", "tou-jan"),
        ("2026-02-20", "tou-jan"),  # tou-feb is proposed, not approved
        ("2026-02-28", "tou-jan"),
        ("2026-03-01", "tou-mar"),
        ("2027-01-01", "tou-mar"),
    ],
)
def test_the_tariff_in_force_is_the_approved_one_with_the_latest_valid_from(
    cc, history, day, tariff_id
):
    result = in_force(history, cc, day)
    assert result.status == 200, result.message
    valid_from = {"tou-jan": "2026-01-01", "tou-mar": "2026-03-01"}[tariff_id]
    assert result.payload == canonical(
        {**TOU_RECORD, "tariff_id": tariff_id, "valid_from": valid_from}
    )


@pytest.mark.parametrize("creator", [OPERATOR, REGULATOR, HOUSEHOLD, NO_ROLE])
def test_anyone_on_the_channel_may_ask_for_the_tariff_in_force(cc, history, creator):
    assert in_force(history, cc, "2026-03-01", creator=creator).json()["tariff_id"] == "tou-mar"


def test_approving_a_proposed_tariff_puts_it_in_force(cc, history):
    assert in_force(history, cc, "2026-02-20").json()["tariff_id"] == "tou-jan"
    assert approve(history, cc, "tou-feb").status == 200
    assert in_force(history, cc, "2026-02-20").json()["tariff_id"] == "tou-feb"


def test_of_two_approved_tariffs_from_the_same_day_the_later_approved_is_in_force(cc):
    ledger = FakeLedger()
    for tariff_id in ("tou-b", "tou-a"):
        assert propose(ledger, cc, tariff(tariff_id=tariff_id)).status == 200
    for tariff_id in ("tou-b", "tou-a"):
        assert approve(ledger, cc, tariff_id).status == 200
    assert in_force(ledger, cc, "2026-03-01").json()["tariff_id"] == "tou-a"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2025-12-31", "no approved tariff is in force on 2025-12-31"),
        ("2026-3-1", "date '2026-3-1' is not an iso-8601 date like 2026-03-01"),
        ("2026-02-29", "date '2026-02-29' is not an iso-8601 date like 2026-03-01"),
    ],
    ids=["before-every-tariff", "malformed", "no-such-day"],
)
def test_tariff_in_force_refusals(cc, history, day, message):
    result = in_force(history, cc, day)
    assert (result.status, result.message) == (500, message)


def test_a_proposed_tariff_alone_is_not_in_force(cc, proposed):
    result = in_force(proposed, cc, "2026-03-01")
    assert (result.status, result.message) == (
        500,
        "no approved tariff is in force on 2026-03-01",
    )
