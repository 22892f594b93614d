"""The channel's key salt: set once by a member's admin, then every keyed name depends on it."""

import hashlib

import pytest
from ccfakes import FakeLedger, identity
from ccommunity import (
    HOUSEHOLD1,
    OPERATOR,
    chaincode,  # noqa: F401 (the cc fixture)
    invoke,
    keyed,
    salted,
)

ADMIN = identity("UtilityMSP", "admin", cn="admin")
SALT = bytes(range(32))
NOT_SET = (
    "the channel's key salt is not set: a member's admin sets it once, after the chaincode "
    "is committed (python -m network deploy --commit does; --key-salt sets it on a channel "
    "committed before)"
)


def set_salt(ledger, cc, salt=SALT, creator=ADMIN):
    transient = None if salt is None else {"salt": salt}
    return invoke(ledger, cc, creator, "KeySaltContract:SetKeySalt", transient=transient)


def test_a_members_admin_sets_the_salt_once_and_the_same_again_is_a_no_op(cc):
    ledger = FakeLedger()
    assert set_salt(ledger, cc).json() == {"set": True}
    assert ledger.private == {"households": {"keysalt": SALT}}
    assert ledger.events == [("KeySaltSet", b'{"set_by":"UtilityMSP"}')]
    again = set_salt(ledger, cc)
    assert (again.status, again.stub.private_writes) == (200, {})
    other = set_salt(ledger, cc, salt=bytes(32))
    assert (other.status, other.message) == (
        500,
        "the channel's key salt is already set: it never changes",
    )
    assert ledger.private == {"households": {"keysalt": SALT}}


@pytest.mark.parametrize(
    "salt", [None, b"", bytes(31), bytes(33)], ids=["none", "empty", "31", "33"]
)
def test_a_salt_of_other_than_32_bytes_is_refused(cc, salt):
    ledger = FakeLedger()
    result = set_salt(ledger, cc, salt=salt)
    assert (result.status, result.message) == (
        500,
        "the key salt must be 32 random bytes in transient 'salt'",
    )
    assert ledger.private == {}


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (OPERATOR, "caller role 'operator' may not call SetKeySalt; allowed: admin"),
        (
            identity("RegulatorMSP", "admin", cn="admin"),
            "caller from RegulatorMSP (regulator) may not call SetKeySalt; "
            "allowed: utility, community",
        ),
    ],
    ids=["operator", "regulator-admin"],
)
def test_only_a_collection_members_admin_sets_it(cc, creator, message):
    ledger = FakeLedger()
    result = set_salt(ledger, cc, creator=creator)
    assert (result.status, result.message) == (500, message)


def test_without_the_salt_keyed_records_are_refused_with_what_to_do(cc):
    ledger = FakeLedger()
    listed = invoke(ledger, cc, HOUSEHOLD1, "ConsentContract:ListConsents")
    assert (listed.status, listed.message) == (500, NOT_SET)


def test_the_names_on_the_ledger_follow_the_salt_and_never_the_household_alone(cc):
    """The same consent under two salts lands under two unrelated names; neither is the
    hash of a name anyone could guess from the household and the consent id."""
    terms = (
        "c-1",
        "CommunityMSP:advisor1",
        "advice",
        "2026-02-27T00:00:00Z",
        "2026-02-28T00:00:00Z",
        "2026-04-01T00:00:00Z",
    )
    names = []
    for ledger in (salted(FakeLedger()), FakeLedger()):
        if not ledger.private:
            set_salt(ledger, cc)
        assert invoke(ledger, cc, HOUSEHOLD1, "ConsentContract:GrantConsent", *terms).status == 200
        names.append(set(ledger.private["households"]) - {"keysalt"})
    assert names[0] == {keyed("consent", "h-001", "c-1"), keyed("consentidx", "h-001")}
    assert names[0].isdisjoint(names[1])
    guess = hashlib.sha256(b"consent~h-001~c-1").hexdigest()
    assert all(guess not in name for name in names[0] | names[1])
