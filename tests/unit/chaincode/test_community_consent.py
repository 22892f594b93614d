"""ConsentContract over the in-memory ledger, and the consents GetReadings enforces.

FakeLedger stamps its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n): the
expiry tests count transactions from the grant's own timestamp.
"""

import copy
import hashlib
from datetime import timedelta

import pytest
from ccfakes import identity
from ccommunity import (
    ADVISOR,
    AUDITOR,
    DAY_END,
    DAY_START,
    HOUSEHOLD1,
    HOUSEHOLD2,
    HOUSEHOLD3,
    OPERATOR,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    day_batch,
    invoke,
    keyed,
    member,
    next_tx_time,
    recorded_read,
    register,
    stamp,
    submit,
)

from network.scenario import community

H1, H2 = community()[:2]
ADVISOR_GRANTEE = "CommunityMSP:advisor1"
TERMS = {
    "consent_id": "c-1",
    "grantee": ADVISOR_GRANTEE,
    "purpose": "energy advice",
    "data_from": DAY_START,
    "data_to": DAY_END,
    "expires_at": "2026-04-01T00:00:00Z",
}


@pytest.fixture
def metered(cc):
    """H1 and H2 registered, with one full day (DAY) of readings each."""
    ledger = community_ledger()
    for household in (H1, H2):
        assert register(ledger, cc, household).status == 200
        submitted = submit(ledger, cc, day_batch(household))
        assert submitted.status == 200, submitted.message
    return ledger


@pytest.fixture
def consented(cc, metered):
    """As `metered`, and household h-001 has granted TERMS (consent c-1) to advisor1."""
    assert grant(metered, cc).status == 200
    return metered


def grant(ledger, cc, creator=HOUSEHOLD1, **changes):
    terms = {**TERMS, **changes}
    return invoke(ledger, cc, creator, "ConsentContract:GrantConsent", *terms.values())


def revoke(ledger, cc, consent_id="c-1", creator=HOUSEHOLD1):
    return invoke(ledger, cc, creator, "ConsentContract:RevokeConsent", consent_id)


def list_consents(ledger, cc, creator=HOUSEHOLD1):
    return invoke(ledger, cc, creator, "ConsentContract:ListConsents")


def read(ledger, cc, creator=ADVISOR, household_id="h-001", start=DAY_START, end=DAY_END):
    """GetReadings as its client calls it: a third party records the access first."""
    args = ("ReadingContract:GetReadings", household_id, start, end)
    return recorded_read(ledger, cc, creator, ("readings", household_id, start, end), *args)


def no_consent(household_id="h-001", grantee=ADVISOR_GRANTEE, start=DAY_START, end=DAY_END):
    return (
        f"no live consent of household {household_id} lets {grantee} "
        f"read readings from {start} to {end}"
    )


def snapshot(ledger):
    return copy.deepcopy((ledger.state, ledger.private, ledger.private_hashes, ledger.events))


# --- GrantConsent ----------------------------------------------------------------------


def test_a_household_grants_a_consent_kept_only_in_the_households_collection(cc, metered):
    public_before = dict(metered.state)
    granted = grant(metered, cc)
    record = {
        **TERMS,
        "household_id": "h-001",
        "granted_at": stamp(next_tx_time(metered) - timedelta(minutes=1)),
        "revoked_at": None,
    }
    assert granted.json() == record
    households = metered.private["households"]
    assert households[keyed("consent", "h-001", "c-1")] == canonical(record)
    assert households[keyed("consentidx", "h-001")] == canonical(["c-1"])
    # and under names whose hashes, on every peer, a guess of the household cannot match
    guessable = {"consent~h-001~c-1", "consentidx~h-001"}
    hashed = {hashlib.sha256(k.encode()).digest() for k in metered.private_hashes["households"]}
    assert not {hashlib.sha256(k.encode()).digest() for k in guessable} & hashed
    # who shares data with whom stays private: the event names only the consent
    assert metered.state == public_before
    assert metered.events[-1] == ("ConsentGranted", canonical({"consent_id": "c-1"}))

    assert list_consents(metered, cc).json() == [record]


def test_granting_the_same_consent_again_writes_nothing(cc, consented):
    first = list_consents(consented, cc).json()[0]
    again = grant(consented, cc)
    assert again.json() == first
    assert (again.stub.private_writes, again.stub.writes) == ({}, {})


@pytest.mark.parametrize(
    "changes",
    [
        {"grantee": "CommunityMSP:advisor2"},
        {"purpose": "marketing"},
        {"data_from": "2026-02-01T00:00:00Z"},
        {"data_to": "2026-03-01T00:00:00Z"},
        {"expires_at": "2027-01-01T00:00:00Z"},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_a_consent_id_cannot_be_granted_again_with_other_terms(cc, consented, changes):
    before = snapshot(consented)
    result = grant(consented, cc, **changes)
    assert (result.status, result.message) == (500, "consent c-1 already exists with other terms")
    assert snapshot(consented) == before


def test_another_household_may_use_the_same_consent_id(cc, consented):
    assert grant(consented, cc, HOUSEHOLD2, purpose="tariff comparison").status == 200
    assert [c["purpose"] for c in list_consents(consented, cc, HOUSEHOLD2).json()] == [
        "tariff comparison"
    ]
    assert [c["purpose"] for c in list_consents(consented, cc).json()] == ["energy advice"]


GRANTEE_FORMAT = "must be written as MSPID:enrollment-id"
PURPOSE = "purpose must be text of 1 to 200 characters"
UTC_TIME = "must be a UTC time like 2026-03-01T00:00:00Z"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"consent_id": "c 1"}, "consent id 'c 1' is invalid", id="id-space"),
        pytest.param({"consent_id": ""}, "consent id '' is invalid", id="id-empty"),
        pytest.param({"consent_id": "c" * 65}, f"consent id '{'c' * 65}' is invalid", id="id-long"),
        pytest.param({"consent_id": "~c"}, "consent id '~c' is invalid", id="id-tilde"),
        pytest.param({"grantee": "advisor1"}, f"grantee 'advisor1' {GRANTEE_FORMAT}", id="no-msp"),
        pytest.param(
            {"grantee": "CommunityMSP:"}, f"grantee 'CommunityMSP:' {GRANTEE_FORMAT}", id="no-user"
        ),
        pytest.param(
            {"grantee": ":advisor1"}, f"grantee ':advisor1' {GRANTEE_FORMAT}", id="empty-msp"
        ),
        pytest.param(
            {"grantee": "CommunityMSP:advisor 1"},
            f"grantee 'CommunityMSP:advisor 1' {GRANTEE_FORMAT}",
            id="user-space",
        ),
        pytest.param(
            {"grantee": "1MSP:advisor1"},
            f"grantee '1MSP:advisor1' {GRANTEE_FORMAT}",
            id="msp-digit",
        ),
        pytest.param({"purpose": ""}, PURPOSE, id="purpose-empty"),
        pytest.param({"purpose": "   "}, PURPOSE, id="purpose-blank"),
        pytest.param({"purpose": "x" * 201}, PURPOSE, id="purpose-long"),
        pytest.param({"data_from": "2026-02-27"}, f"data_from {UTC_TIME}", id="from-date-only"),
        pytest.param(
            {"data_to": "2026-02-28T00:00Z"}, f"data_to {UTC_TIME}", id="to-without-seconds"
        ),
        pytest.param(
            {"data_to": "2026-02-28T00:00:00+00:00"}, f"data_to {UTC_TIME}", id="to-with-offset"
        ),
        pytest.param({"expires_at": "next week"}, f"expires_at {UTC_TIME}", id="expiry-words"),
        pytest.param({"data_to": DAY_START}, "data_to must be after data_from", id="empty-period"),
        pytest.param(
            {"data_from": DAY_END, "data_to": DAY_START},
            "data_to must be after data_from",
            id="reversed-period",
        ),
        pytest.param(
            {"expires_at": "2026-03-01T09:00:00Z"},
            "expires_at must be in the future",
            id="expiry-past",
        ),
        pytest.param(
            {"data_from": "2026-02-30T00:00:00Z"}, f"data_from {UTC_TIME}", id="from-no-such-day"
        ),
        pytest.param(
            {"expires_at": "2026-04-01T24:00:00Z"}, f"expires_at {UTC_TIME}", id="expiry-hour-24"
        ),
    ],
)
def test_invalid_consents_are_refused_with_the_exact_reason(cc, metered, changes, message):
    before = snapshot(metered)
    result = grant(metered, cc, **changes)
    assert (result.status, result.message) == (500, message)
    assert snapshot(metered) == before


def test_a_consent_must_expire_after_the_transaction_time(cc, metered):
    now = stamp(next_tx_time(metered))
    at_once = grant(metered, cc, expires_at=now)
    assert (at_once.status, at_once.message) == (500, "expires_at must be in the future")
    assert (
        grant(metered, cc, expires_at=stamp(next_tx_time(metered) + timedelta(seconds=1))).status
        == 200
    )


# --- access: role x transaction ----------------------------------------------------------

NOT_COMMUNITY = "caller from {msp} ({kind}) may not call {tx}; allowed: community"


@pytest.mark.parametrize("transaction", ["GrantConsent", "RevokeConsent", "ListConsents"])
@pytest.mark.parametrize(
    ("creator", "message"),
    [
        pytest.param(OPERATOR, NOT_COMMUNITY, id="utility-operator"),
        pytest.param(
            member("UtilityMSP", "household1", "household", household_id="h-001"),
            NOT_COMMUNITY,
            id="utility-household",
        ),
        pytest.param(AUDITOR, NOT_COMMUNITY, id="regulator"),
        pytest.param(
            ADVISOR,
            "caller role 'third_party' may not call {tx}; allowed: household",
            id="third-party",
        ),
        pytest.param(
            identity("CommunityMSP", None, cn="member1"),
            "caller without a role may not call {tx}; allowed: household",
            id="no-role",
        ),
        pytest.param(
            identity("CommunityMSP", "household", cn="household9"),
            "caller has no household_id attribute",
            id="household-without-household-id",
        ),
    ],
)
def test_only_households_of_the_community_manage_consents(
    cc, consented, creator, message, transaction
):
    args = {"GrantConsent": tuple(TERMS.values()), "RevokeConsent": ("c-1",), "ListConsents": ()}
    msp = creator["mspid"]
    kind = {"UtilityMSP": "utility", "RegulatorMSP": "regulator"}.get(msp, "community")
    before = snapshot(consented)
    result = invoke(consented, cc, creator, f"ConsentContract:{transaction}", *args[transaction])
    assert (result.status, result.message) == (
        500,
        message.format(msp=msp, kind=kind, tx=transaction),
    )
    assert snapshot(consented) == before


# --- enforcement -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "household_id", "start", "end", "grantee"),
    [
        pytest.param(ADVISOR, "h-001", DAY_START, DAY_END, None, id="whole-period"),
        pytest.param(
            ADVISOR, "h-001", "2026-02-27T06:00:00Z", "2026-02-27T07:00:00Z", None, id="part"
        ),
        pytest.param(
            ADVISOR,
            "h-001",
            "2026-02-26T23:45:00Z",
            DAY_END,
            ADVISOR_GRANTEE,
            id="starts-before",
        ),
        pytest.param(
            ADVISOR,
            "h-001",
            DAY_START,
            "2026-02-28T00:15:00Z",
            ADVISOR_GRANTEE,
            id="ends-after",
        ),
        pytest.param(ADVISOR, "h-002", DAY_START, DAY_END, ADVISOR_GRANTEE, id="other-household"),
        pytest.param(
            identity("CommunityMSP", "third_party", cn="advisor2"),
            "h-001",
            DAY_START,
            DAY_END,
            "CommunityMSP:advisor2",
            id="other-grantee",
        ),
        pytest.param(
            identity("RegulatorMSP", "third_party", cn="advisor1"),
            "h-001",
            DAY_START,
            DAY_END,
            "RegulatorMSP:advisor1",
            id="same-name-other-msp",
        ),
    ],
)
def test_a_consent_lets_only_its_grantee_read_the_period_it_covers(
    cc, consented, reader, household_id, start, end, grantee
):
    result = read(consented, cc, reader, household_id, start, end)
    if grantee is None:
        readings = result.json()
        assert readings
        assert {r["meter_id"] for r in readings} == {"m-001"}
        assert all(start <= r["interval_start"] < end for r in readings)
    else:
        assert (result.status, result.message) == (
            500,
            no_consent(household_id, grantee, start, end),
        )


def test_a_consent_stops_the_clock_skew_before_its_expiry(cc, metered):
    """A read proposed within 15 minutes of the expiry is refused: a client could have
    dated it up to 15 minutes early (the peers' tolerance), so it counts as expired."""
    granted_at = next_tx_time(metered)
    expires_at = granted_at + timedelta(minutes=17)
    granted = grant(metered, cc, expires_at=stamp(expires_at))
    assert granted.json()["granted_at"] == stamp(granted_at)

    assert len(read(metered, cc).json()) == 96  # 16 minutes before the expiry
    expired = read(metered, cc)  # 15 minutes before it
    assert expired.stub.get_tx_timestamp().ToJsonString() == stamp(
        expires_at - timedelta(minutes=15)
    )
    assert (expired.status, expired.message) == (500, no_consent())


def test_a_revoked_consent_no_longer_lets_its_grantee_read(cc, consented):
    assert len(read(consented, cc).json()) == 96
    revoked = revoke(consented, cc)
    record = revoked.json()
    assert record["revoked_at"] == stamp(next_tx_time(consented) - timedelta(minutes=1))
    assert consented.private["households"][keyed("consent", "h-001", "c-1")] == canonical(record)
    assert consented.events[-1] == ("ConsentRevoked", canonical({"consent_id": "c-1"}))
    refused = read(consented, cc)
    assert (refused.status, refused.message) == (500, no_consent())

    again = revoke(consented, cc)
    assert again.json() == record
    assert (again.stub.private_writes, again.stub.writes) == ({}, {})


@pytest.mark.parametrize(
    ("consent_id", "creator", "message"),
    [
        pytest.param(
            "c-9", HOUSEHOLD1, "consent c-9 of household h-001 does not exist", id="unknown"
        ),
        pytest.param(
            "c-1", HOUSEHOLD2, "consent c-1 of household h-002 does not exist", id="other-household"
        ),
    ],
)
def test_revoking_a_consent_the_household_does_not_hold_is_not_found(
    cc, consented, consent_id, creator, message
):
    before = snapshot(consented)
    result = revoke(consented, cc, consent_id, creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(consented) == before
    assert len(read(consented, cc).json()) == 96


def test_a_household_lists_only_its_own_consents_live_or_not(cc, consented):
    assert grant(consented, cc, consent_id="c-2", grantee="CommunityMSP:advisor2").status == 200
    assert revoke(consented, cc, "c-2").status == 200
    assert grant(consented, cc, HOUSEHOLD2, consent_id="c-3").status == 200

    mine = list_consents(consented, cc).json()
    assert [(c["consent_id"], c["household_id"]) for c in mine] == [
        ("c-1", "h-001"),
        ("c-2", "h-001"),
    ]
    assert [c["revoked_at"] is None for c in mine] == [True, False]
    theirs = list_consents(consented, cc, HOUSEHOLD2).json()
    assert [(c["consent_id"], c["household_id"]) for c in theirs] == [("c-3", "h-002")]
    assert list_consents(consented, cc, HOUSEHOLD3).json() == []
