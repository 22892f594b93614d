"""Org bundles between homes (`network/bundles.py`): an org's own, exported; others', imported.

A home is populated with certificates made here, as `up` leaves them: only public
material goes into a bundle, and importing refuses what would let one org pass for another.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from network_builders import bundle, home_of, populate

from gridspec.bundle import Endpoint, OrdererNode, OrgBundle
from network.bundles import export, import_bundle, imported, known, own_bundle, read
from network.console import NetworkError
from network.topology import REGULATOR, UTILITY, new_community


@pytest.fixture
def home(tmp_path):
    """Utility's home on 10.0.0.5, with its CA, admin and orderer certificates."""
    return home_of(tmp_path / "orgs", dataclasses.replace(UTILITY, host="10.0.0.5"))


def test_an_orgs_own_bundle_is_made_of_its_public_certificates_and_addresses(home):
    made = populate(home)

    assert own_bundle(home) == OrgBundle(
        key="utility",
        msp_id="UtilityMSP",
        display_name="GridCo Distribution Utility",
        kind="utility",
        root_certs=(made.ca,),
        tls_root_certs=(made.ca,),
        admin_certs=(made.admin,),
        peers=(Endpoint("10.0.0.5", 7051),),
        orderers=(OrdererNode("10.0.0.5", 7050, made.orderer_tls),),
        ca_url="https://10.0.0.5:7054",
        ca_name="ca-utility",
    )


def test_nothing_secret_goes_into_a_bundle(home):
    populate(home)
    home.secret("ca-registrar")
    (home.identity_msp("admin") / "keystore").mkdir(parents=True)
    (home.identity_msp("admin") / "keystore" / "key_sk").write_text("PRIVATE KEY")

    text = own_bundle(home).dumps()

    assert home.secret("ca-registrar") not in text
    assert "PRIVATE" not in text


@pytest.mark.parametrize("missing", ["admin", "orderer"])
def test_a_home_that_was_never_up_has_no_bundle(home, missing):
    populate(home)
    if missing == "admin":
        (home.identity_msp("admin") / "signcerts" / "cert.pem").unlink()
    else:
        (home.identity_tls("orderer0") / "cert.pem").unlink()

    with pytest.raises(NetworkError) as caught:
        own_bundle(home)
    assert str(caught.value) == "utility has no admin or orderer certificate yet: run `up` first"


def test_an_exported_bundle_reads_back_with_the_same_fingerprint(home, tmp_path):
    populate(home)
    out = tmp_path / "outbox" / "utility.bundle.json"

    exported = export(home, out)

    assert read(out) == exported == own_bundle(home)
    assert read(out).fingerprint() == exported.fingerprint()


def test_another_orgs_bundle_is_kept_privately_and_known_by_its_key(home, tmp_path):
    populate(home)
    regulator = bundle(REGULATOR)
    path = tmp_path / "regulator.bundle.json"
    path.write_text(regulator.dumps())

    assert import_bundle(home, path) == regulator
    assert import_bundle(home, path) == regulator  # the same bundle again: fine

    kept = home.bundles / "regulator.json"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert imported(home) == [regulator]
    assert known(home, "regulator") == regulator
    assert known(home, "utility") == own_bundle(home)


def write(tmp_path, made: OrgBundle, name: str = "in.bundle.json"):
    path = tmp_path / name
    path.write_text(made.dumps())
    return path


@pytest.mark.parametrize(
    "change",
    [{}, {"key": "utility2"}, {"msp_id": "Utility2MSP"}],
    ids=["both", "same-key", "same-msp-id"],
)
def test_a_bundle_of_the_homes_own_org_is_refused(home, tmp_path, change):
    own = {"key": "utility", "msp_id": "UtilityMSP", **change}
    theirs = dataclasses.replace(bundle(REGULATOR), **own, ca_name=f"ca-{own['key']}")
    path = write(tmp_path, theirs)

    with pytest.raises(NetworkError) as caught:
        import_bundle(home, path)

    assert str(caught.value) == f"{path} is {own['key']} ({own['msp_id']}): this home's own org"
    assert imported(home) == []


def test_an_msp_id_already_anothers_is_refused(home, tmp_path):
    import_bundle(home, write(tmp_path, bundle(REGULATOR)))
    clash = dataclasses.replace(bundle(new_community("lakeside", 11000)), msp_id="RegulatorMSP")

    with pytest.raises(NetworkError) as caught:
        import_bundle(home, write(tmp_path, clash, "lakeside.json"), replace=True)

    assert str(caught.value) == "MSP id RegulatorMSP is already regulator's"
    assert [b.key for b in imported(home)] == ["regulator"]


def test_a_silently_different_bundle_is_refused_unless_replaced_on_purpose(home, tmp_path):
    first = bundle(REGULATOR)
    import_bundle(home, write(tmp_path, first))
    changed = dataclasses.replace(first, peers=(Endpoint("10.6.6.6", 9051),))
    path = write(tmp_path, changed, "changed.json")

    with pytest.raises(NetworkError) as caught:
        import_bundle(home, path)

    assert str(caught.value) == (
        f"a different bundle of regulator was imported before ({first.fingerprint()}); "
        "check with regulator and import with --replace"
    )
    assert known(home, "regulator") == first
    assert import_bundle(home, path, replace=True) == changed
    assert known(home, "regulator") == changed


def test_the_same_bundle_laid_out_differently_is_no_change(home, tmp_path):
    first = bundle(REGULATOR)
    import_bundle(home, write(tmp_path, first))
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(first.to_json(), sort_keys=True))

    assert import_bundle(home, path) == first


def test_an_org_not_imported_is_not_known(home):
    with pytest.raises(NetworkError) as caught:
        known(home, "lakeside")
    assert str(caught.value) == "utility has no bundle of lakeside: import it first"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read bundle {path}: No such file or directory"),
        ('{"format": "x"}', "{path} is not a usable org bundle: format must be "),
        ("{", "{path} is not a usable org bundle: the bundle is not JSON: "),
    ],
    ids=["missing", "other-format", "not-json"],
)
def test_a_file_that_is_no_bundle_is_refused(tmp_path, content, message):
    path = tmp_path / "in.bundle.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(NetworkError) as caught:
        read(path)
    assert str(caught.value).startswith(message.format(path=path))
