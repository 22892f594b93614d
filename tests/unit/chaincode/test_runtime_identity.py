import pytest
from ccfakes import Ctx, FakeStub, identity, make_cert_pem

from chaincode.runtime.errors import AccessDenied, IdentityError
from chaincode.runtime.identity import caller, require_msp, require_role, transaction_name


def ctx_for(creator, function="MemberContract:RegisterMember"):
    return Ctx(FakeStub({}, function, creator=creator))


def test_caller_reads_msp_cn_and_fabric_ca_attributes():
    pem = make_cert_pem("alice", {"role": "operator", "hf.EnrollmentID": "alice"})

    who = caller(ctx_for({"mspid": "UtilityMSP", "idBytes": pem}))

    assert who.msp_id == "UtilityMSP"
    assert who.common_name == "alice"
    assert who.attributes == {"role": "operator", "hf.EnrollmentID": "alice"}
    assert who.role == "operator"
    assert who.certificate.subject.rfc4514_string() == "CN=alice,OU=client"


def test_certificate_without_attribute_extension_has_no_attributes():
    who = caller(ctx_for({"mspid": "UtilityMSP", "idBytes": make_cert_pem("peer0")}))

    assert (who.attributes, who.role) == ({}, None)


@pytest.mark.parametrize(
    "raw", [b"not json", b'{"attributes": {}}', b'{"attrs": ["role"]}', b'{"attrs": {"n": 1}}']
)
def test_malformed_attribute_extension_is_an_error(raw):
    creator = {"mspid": "UtilityMSP", "idBytes": make_cert_pem("x", raw_extension=raw)}

    with pytest.raises(IdentityError) as error:
        caller(ctx_for(creator))

    assert str(error.value) == "caller certificate has a malformed attribute extension"


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        ({}, "transaction has no creator identity"),
        ({"mspid": "UtilityMSP", "idBytes": b""}, "transaction has no creator identity"),
        ({"mspid": "UtilityMSP", "idBytes": b"garbage"}, "caller certificate cannot be parsed"),
    ],
)
def test_unreadable_creator_is_an_error(creator, message):
    with pytest.raises(IdentityError) as error:
        caller(ctx_for(creator))

    assert str(error.value) == message


def test_require_role_returns_the_caller_when_allowed():
    who = require_role(ctx_for(identity("UtilityMSP", "regulator")), "operator", "regulator")

    assert who.role == "regulator"


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (
            "household",
            "caller role 'household' may not call ReadArea; allowed: operator, regulator",
        ),
        (None, "caller without a role may not call ReadArea; allowed: operator, regulator"),
    ],
)
def test_require_role_refuses_with_exact_message(role, message):
    ctx = ctx_for(identity("CommunityMSP", role), function="MeterContract:ReadArea")

    with pytest.raises(AccessDenied) as error:
        require_role(ctx, "operator", "regulator")

    assert str(error.value) == message


def test_require_msp():
    ctx = ctx_for(identity("CommunityMSP", "admin"))

    assert require_msp(ctx, "CommunityMSP").msp_id == "CommunityMSP"
    with pytest.raises(AccessDenied) as error:
        require_msp(ctx, "UtilityMSP")
    assert str(error.value) == "caller from CommunityMSP may not act for UtilityMSP"


@pytest.mark.parametrize("function", ["MemberContract:RegisterMember", "RegisterMember"])
def test_transaction_name_drops_the_contract_prefix(function):
    assert transaction_name(ctx_for({}, function)) == "RegisterMember"
