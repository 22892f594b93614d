"""Who must sign a config update, read off channel configs that configtxgen made.

The consortium's policies are configtx's: MAJORITY of the org Admins for channel,
Application and Orderer changes, each org's own ``OR('<MSP>.admin')`` for its own group.
Policies built here by hand (to refuse or to leave out a role) are built with the
protobuf classes directly, not with the code under test.
"""

from typing import Any

import pytest
from fabric_protos.common import configtx_pb2, policies_pb2
from fabric_protos.msp import msp_principal_pb2
from fabric_tools import HOST, founders, genesis_config, revocation_list_pem, river

from client import (
    Requirement,
    add_application_org,
    compute_update,
    orderers_unable_to_write,
    org_group,
    remove_org,
    requirements,
    satisfied,
    set_anchor_peers,
    set_batch_timeout,
    set_revocation_list,
)
from client.configpolicy import ADMIN_ROLES, ORDERER_ROLES, describe, requirement

UTILITY, COMMUNITY, REGULATOR = founders()
FOUNDERS = ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
CHANNEL = "community-sunnyside"


@pytest.fixture(scope="module")
def config() -> Any:
    return genesis_config(founders())


@pytest.fixture(scope="module")
def four_orgs() -> Any:
    return genesis_config((*founders(), river()))


def needs(config: Any, updated: Any) -> tuple[Requirement, ...]:
    return requirements(config, compute_update(CHANNEL, config, updated))


def signature_policy(msp: str, *roles: str) -> Any:
    """``OR('<msp>.<role>', ...)`` as a common.Policy."""
    envelope = policies_pb2.SignaturePolicyEnvelope(
        rule=policies_pb2.SignaturePolicy(
            n_out_of=policies_pb2.SignaturePolicy.NOutOf(
                n=1, rules=[policies_pb2.SignaturePolicy(signed_by=i) for i in range(len(roles))]
            )
        ),
        identities=[
            msp_principal_pb2.MSPPrincipal(
                principal=msp_principal_pb2.MSPRole(
                    msp_identifier=msp, role=msp_principal_pb2.MSPRole.MSPRoleType.Value(role)
                ).SerializeToString()
            )
            for role in roles
        ],
    )
    return policies_pb2.Policy(type=1, value=envelope.SerializeToString())


def with_policy(config: Any, path: tuple[str, ...], name: str, policy: Any) -> Any:
    copy = configtx_pb2.Config()
    copy.CopyFrom(config)
    group = copy.channel_group
    for key in path:
        group = group.groups[key]
    group.policies[name].policy.CopyFrom(policy)
    return copy


# -- how many admins --------------------------------------------------------------------------


@pytest.mark.parametrize(("orgs", "needed"), [(3, 2), (4, 3)])
@pytest.mark.parametrize("path", ["/Channel/Application/Admins", "/Channel/Admins"])
def test_a_majority_of_admins_is_two_of_three_and_three_of_four(
    config: Any, four_orgs: Any, orgs: int, needed: int, path: str
) -> None:
    channel = config if orgs == 3 else four_orgs
    members = FOUNDERS if orgs == 3 else ("CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP")

    assert requirement(channel, path) == Requirement(path, "MAJORITY Admins", members, needed)


def test_admitting_an_org_needs_a_majority_of_the_present_application_admins(config) -> None:
    admitted = add_application_org(config, org_group(river().bundle), "RiverMSP")

    assert needs(config, admitted) == (
        Requirement(
            "/Channel/Application/Admins",
            "MAJORITY Admins",
            FOUNDERS,
            2,
            ("Group /Channel/Application",),
        ),
    )


def test_removing_an_org_of_four_needs_three_admins_in_each_section(four_orgs: Any) -> None:
    removed = remove_org(four_orgs, "RiverMSP", (HOST, 10050))
    members = ("CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP")

    assert needs(four_orgs, removed) == (
        Requirement(
            "/Channel/Application/Admins",
            "MAJORITY Admins",
            members,
            3,
            ("Group /Channel/Application",),
        ),
        Requirement(
            "/Channel/Orderer/Admins",
            "MAJORITY Admins",
            members,
            3,
            ("Group /Channel/Orderer", "Value /Channel/Orderer/ConsensusType"),
        ),
    )


def test_an_orgs_own_msp_change_needs_only_its_own_admin(config: Any) -> None:
    revoked = set_revocation_list(config, "CommunityMSP", revocation_list_pem(COMMUNITY, 3))

    assert needs(config, revoked) == tuple(
        Requirement(
            f"/Channel/{section}/CommunityMSP/Admins",
            "1 of CommunityMSP.admin",
            ("CommunityMSP",),
            1,
            (f"Value /Channel/{section}/CommunityMSP/MSP",),
        )
        for section in ("Application", "Orderer")
    )


def test_an_orgs_anchor_peers_need_only_its_own_admin(config: Any) -> None:
    moved = set_anchor_peers(config, "UtilityMSP", [("peer1.utility.example", 7061)])
    removed = set_anchor_peers(config, "UtilityMSP", [])
    own = ("/Channel/Application/UtilityMSP/Admins", "1 of UtilityMSP.admin", ("UtilityMSP",), 1)

    assert needs(config, moved) == (
        Requirement(*own, ("Value /Channel/Application/UtilityMSP/AnchorPeers",)),
    )
    # Removing a value bumps its group, whose own Admins policy guards it.
    assert needs(config, removed) == (
        Requirement(*own, ("Group /Channel/Application/UtilityMSP",)),
    )


def test_a_batch_timeout_needs_the_orderer_orgs_admins_only() -> None:
    """On a channel ordered by two of its three orgs, Sunnyside's admin does not count."""
    config = genesis_config(founders(), orderers=(UTILITY, REGULATOR))

    [needed] = needs(config, set_batch_timeout(config, "2s"))

    assert needed == Requirement(
        "/Channel/Orderer/Admins",
        "MAJORITY Admins",
        ("RegulatorMSP", "UtilityMSP"),
        2,
        ("Value /Channel/Orderer/BatchTimeout",),
    )
    assert needed.missing(["CommunityMSP", "UtilityMSP"]) == 1
    assert needed.missing(["UtilityMSP", "RegulatorMSP", "UtilityMSP"]) == 0


def test_an_elements_current_mod_policy_decides_even_an_absolute_one(config: Any) -> None:
    copy = configtx_pb2.Config()
    copy.CopyFrom(config)
    copy.channel_group.groups["Orderer"].values[
        "BatchSize"
    ].mod_policy = "/Channel/Application/UtilityMSP/Admins"
    changed = configtx_pb2.Config()
    changed.CopyFrom(copy)
    changed.channel_group.groups["Orderer"].values["BatchSize"].value = b"\x08\x01"

    assert requirements(copy, compute_update(CHANNEL, copy, changed).SerializeToString()) == (
        Requirement(
            "/Channel/Application/UtilityMSP/Admins",
            "1 of UtilityMSP.admin",
            ("UtilityMSP",),
            1,
            ("Value /Channel/Orderer/BatchSize",),
        ),
    )


# -- evaluating a policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signers", "expected"),
    [
        (set(), False),
        ({"UtilityMSP"}, False),
        ({"UtilityMSP", "CommunityMSP"}, True),
        ({"UtilityMSP", "RiverMSP"}, False),
        (set(FOUNDERS), True),
    ],
)
def test_implicit_admins_count_the_orgs_whose_admins_signed(config, signers, expected) -> None:
    application = config.channel_group.groups["Application"]
    assert satisfied(application, "Admins", signers) is expected


@pytest.mark.parametrize(
    ("policy", "roles", "expected"),
    [
        ("Admins", ADMIN_ROLES, True),
        ("Readers", ADMIN_ROLES, True),  # an admin is a member
        ("Writers", ADMIN_ROLES, True),
        ("Endorsement", ADMIN_ROLES, False),  # only peers endorse
        ("Endorsement", frozenset({"PEER"}), True),
        ("Writers", ORDERER_ROLES, True),
        ("Admins", ORDERER_ROLES, False),
        ("Missing", ADMIN_ROLES, False),
    ],
)
def test_an_orgs_policies_by_role(config, policy, roles, expected) -> None:
    group = config.channel_group.groups["Application"].groups["UtilityMSP"]
    assert satisfied(group, policy, {"UtilityMSP"}, roles) is expected
    assert satisfied(group, policy, {"CommunityMSP"}, roles) is False


def test_an_admin_is_never_a_client(config: Any) -> None:
    clients_only = with_policy(
        config, ("Application", "UtilityMSP"), "Writers", signature_policy("UtilityMSP", "CLIENT")
    )
    group = clients_only.channel_group.groups["Application"].groups["UtilityMSP"]

    assert not satisfied(group, "Writers", {"UtilityMSP"})
    assert satisfied(group, "Writers", {"UtilityMSP"}, frozenset({"CLIENT"}))


def test_a_policy_no_admin_can_satisfy_is_named(config: Any) -> None:
    clients_only = with_policy(
        config, ("Application", "UtilityMSP"), "Admins", signature_policy("UtilityMSP", "CLIENT")
    )
    path = "/Channel/Application/UtilityMSP/Admins"

    with pytest.raises(ValueError) as refused:
        requirement(clients_only, path)

    assert str(refused.value) == f"no set of org admins can satisfy {path} (1 of UtilityMSP.client)"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/Orderer/Admins", "policy path /Orderer/Admins does not start with /Channel"),
        ("/Channel/Nope/Admins", "policy path /Channel/Nope/Admins: no group 'Nope'"),
        ("/Channel/Orderer/Nope", "policy path /Channel/Orderer/Nope: no policy 'Nope'"),
    ],
)
def test_a_policy_path_that_leads_nowhere_is_refused(config, path, message) -> None:
    with pytest.raises(ValueError) as refused:
        requirement(config, path)
    assert str(refused.value) == message


def test_policies_in_words(config: Any) -> None:
    utility = config.channel_group.groups["Application"].groups["UtilityMSP"]
    assert describe(utility.policies["Writers"].policy) == (
        "1 of UtilityMSP.admin, UtilityMSP.client, UtilityMSP.orderer"
    )
    assert describe(config.channel_group.policies["Writers"].policy) == "ANY Writers"


def test_a_channel_whose_writers_leave_out_orderer_nodes_is_named(config: Any) -> None:
    assert orderers_unable_to_write(config) == []

    writers = signature_policy("RegulatorMSP", "ADMIN", "CLIENT")
    in_orderer = with_policy(config, ("Orderer", "RegulatorMSP"), "Writers", writers)
    in_both = with_policy(in_orderer, ("Application", "RegulatorMSP"), "Writers", writers)

    # /Channel/Writers is ANY Writers: the Application section's Writers still let it in.
    assert orderers_unable_to_write(in_orderer) == []
    assert orderers_unable_to_write(in_both) == ["RegulatorMSP"]
