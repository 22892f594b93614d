import base64
import copy

import pytest

from network.revocation import msp_groups, revocation_list, set_revocation_list

CRL = b"-----BEGIN X509 CRL-----\nMIIBfake\n-----END X509 CRL-----\n"
OLD_CRL = b"-----BEGIN X509 CRL-----\nMIIBold\n-----END X509 CRL-----\n"


def msp(name: str, crls: tuple[bytes, ...] = ()) -> dict:
    config = {"name": name, "root_certs": ["cm9vdA=="]}
    if crls:
        config["revocation_list"] = [base64.b64encode(c).decode() for c in crls]
    return {
        "mod_policy": "Admins",
        "values": {"MSP": {"mod_policy": "Admins", "value": {"config": config}, "version": "0"}},
    }


def channel_config(orderer_orgs: tuple[str, ...] = ("UtilityMSP", "CommunityMSP")) -> dict:
    application = {m: msp(m) for m in ("UtilityMSP", "CommunityMSP", "RegulatorMSP")}
    application["CommunityMSP"] = msp("CommunityMSP", (OLD_CRL,))
    return {
        "channel_group": {
            "groups": {
                "Application": {"groups": application},
                "Orderer": {"groups": {m: msp(m) for m in orderer_orgs}},
            }
        }
    }


def msp_config(config: dict, section: str, key: str) -> dict:
    return config["channel_group"]["groups"][section]["groups"][key]["values"]["MSP"]["value"][
        "config"
    ]


def test_the_crl_lands_in_the_application_and_orderer_msp_and_nowhere_else():
    config = channel_config()
    original = copy.deepcopy(config)

    updated = set_revocation_list(config, "CommunityMSP", CRL)

    assert config == original
    encoded = [base64.b64encode(CRL).decode()]
    for section in ("Application", "Orderer"):
        assert msp_config(updated, section, "CommunityMSP")["revocation_list"] == encoded
        assert msp_config(updated, section, "CommunityMSP")["root_certs"] == ["cm9vdA=="]
        msp_config(updated, section, "CommunityMSP").pop("revocation_list")
        msp_config(original, section, "CommunityMSP").pop("revocation_list", None)
    assert updated == original
    assert revocation_list(set_revocation_list(config, "CommunityMSP", CRL), "CommunityMSP") == [
        CRL
    ]


def test_an_application_only_org_gets_the_crl_in_its_application_msp_only():
    config = channel_config(orderer_orgs=("UtilityMSP",))

    updated = set_revocation_list(config, "RegulatorMSP", CRL)

    assert [
        g["values"]["MSP"]["value"]["config"]["name"] for g in msp_groups(updated, "RegulatorMSP")
    ] == ["RegulatorMSP"]
    assert revocation_list(updated, "RegulatorMSP") == [CRL]
    assert "RegulatorMSP" not in updated["channel_group"]["groups"]["Orderer"]["groups"]
    assert revocation_list(updated, "CommunityMSP") == [OLD_CRL]
    assert revocation_list(updated, "UtilityMSP") == []


def test_setting_the_same_crl_again_changes_nothing():
    once = set_revocation_list(channel_config(), "CommunityMSP", CRL)

    assert set_revocation_list(once, "CommunityMSP", CRL) == once


def test_an_org_outside_the_channel_is_refused():
    with pytest.raises(KeyError, match="OtherMSP is not a member of this channel"):
        set_revocation_list(channel_config(), "OtherMSP", CRL)
