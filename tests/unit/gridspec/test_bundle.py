"""The org definition bundle (`gridspec/bundle.py`): its JSON form, fingerprint and checks.

A bundle is the one file an org hands to the others, so every field is checked with an
exact message, and its fingerprint must not depend on how the file happens to be laid out.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gridspec.bundle import FORMAT, NODE_OUS, BundleError, Endpoint, OrdererNode, OrgBundle


def certificate(common_name: str) -> str:
    """A self-signed PEM certificate, standing in for a CA's or an admin's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


CA, TLS_CA, ADMIN, ORDERER_TLS, OTHER = (
    certificate(n) for n in ("ca.river", "tlsca.river", "admin", "orderer0", "other")
)
PRIVATE_KEY = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)

BUNDLE = OrgBundle(
    key="river",
    msp_id="RiverMSP",
    display_name="River Energy Cooperative",
    kind="community",
    root_certs=(CA,),
    tls_root_certs=(TLS_CA,),
    admin_certs=(ADMIN,),
    peers=(Endpoint("peer0.river.example", 10051),),
    orderers=(OrdererNode("orderer0.river.example", 10050, ORDERER_TLS),),
    ca_url="https://ca.river.example:10054",
    ca_name="ca-river",
)


def document() -> dict[str, Any]:
    return copy.deepcopy(BUNDLE.to_json())


# ---------------------------------------------------------------- the JSON form


def test_the_json_form_names_every_field_and_the_fixed_node_ous():
    assert document() == {
        "format": "gridledger/org-bundle/1",
        "key": "river",
        "msp_id": "RiverMSP",
        "display_name": "River Energy Cooperative",
        "kind": "community",
        "msp": {
            "root_certs": [CA],
            "tls_root_certs": [TLS_CA],
            "admin_certs": [ADMIN],
            "node_ous": {
                "client": "client",
                "peer": "peer",
                "admin": "admin",
                "orderer": "orderer",
            },
        },
        "peers": [{"host": "peer0.river.example", "port": 10051}],
        "orderers": [{"host": "orderer0.river.example", "port": 10050, "tls_cert": ORDERER_TLS}],
        "ca": {"url": "https://ca.river.example:10054", "name": "ca-river"},
    }


def test_a_bundle_round_trips_through_json_and_text():
    assert OrgBundle.from_json(document()) == BUNDLE
    assert OrgBundle.loads(BUNDLE.dumps()) == BUNDLE
    assert OrgBundle.loads(BUNDLE.dumps().encode()) == BUNDLE
    assert BUNDLE.dumps().endswith("}\n")


def test_more_certificates_and_no_orderer_round_trip_in_their_order():
    bundle = replace(BUNDLE, root_certs=(OTHER, CA), admin_certs=(ADMIN, OTHER), orderers=())

    loaded = OrgBundle.loads(bundle.dumps())

    assert loaded == bundle
    assert loaded.root_certs == (OTHER, CA)
    assert loaded.peers[0].address == "peer0.river.example:10051"


# ---------------------------------------------------------------- the fingerprint


def test_the_fingerprint_is_the_sha256_of_the_canonical_form():
    canonical = json.dumps(document(), sort_keys=True, separators=(",", ":")).encode()

    assert BUNDLE.canonical() == canonical
    assert BUNDLE.fingerprint() == "sha256:" + hashlib.sha256(canonical).hexdigest()


@pytest.mark.parametrize(
    "layout",
    [
        lambda d: json.dumps(d),
        lambda d: json.dumps(d, indent=4),
        lambda d: json.dumps(d, sort_keys=True, separators=(",", ":")),
        lambda d: json.dumps(dict(reversed(list(d.items()))), indent="\t"),
        lambda d: "\n\n" + json.dumps({**d, "msp": dict(reversed(list(d["msp"].items())))}),
    ],
    ids=["compact", "indented", "canonical", "reversed-keys", "nested-keys-reversed"],
)
def test_the_fingerprint_does_not_depend_on_the_files_layout(layout):
    assert OrgBundle.loads(layout(document())).fingerprint() == BUNDLE.fingerprint()


@pytest.mark.parametrize(
    "changes",
    [
        {"key": "rivers"},
        {"msp_id": "RiversMSP"},
        {"display_name": "River Energy Co-operative"},
        {"kind": "utility"},
        {"root_certs": (CA, OTHER)},
        {"tls_root_certs": (OTHER,)},
        {"admin_certs": (OTHER,)},
        {"peers": (Endpoint("peer0.river.example", 10052),)},
        {"peers": (Endpoint("peer1.river.example", 10051),)},
        {"orderers": (OrdererNode("orderer0.river.example", 10050, OTHER),)},
        {"orderers": (OrdererNode("orderer0.river.example", 10049, ORDERER_TLS),)},
        {"orderers": ()},
        {"ca_url": "https://ca.river.example:10055"},
        {"ca_name": "ca-rivers"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_change_of_a_field_changes_the_fingerprint(changes):
    changed = replace(BUNDLE, **changes)

    assert changed.fingerprint() != BUNDLE.fingerprint()
    assert changed.fingerprint().startswith("sha256:")
    assert len(changed.fingerprint()) == len("sha256:") + 64


# ---------------------------------------------------------------- broken bundles


def edit(path: str, value: Any) -> Any:
    """A change of the document at a dotted path (`msp.root_certs`, `peers.0.port`);
    `...` as the value deletes the entry."""

    def apply(doc: dict[str, Any]) -> dict[str, Any]:
        *parents, leaf = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(leaf) if isinstance(node, list) else leaf
        if value is ...:
            del node[key]
        else:
            node[key] = value
        return doc

    return apply


SECOND_ORDERER = {"host": "orderer1.river.example", "port": 70000, "tls_cert": ORDERER_TLS}
BROKEN = {
    "no-format": (edit("format", ...), f"format must be {FORMAT!r}, not None"),
    "other-format": (
        edit("format", "gridledger/org-bundle/2"),
        f"format must be {FORMAT!r}, not 'gridledger/org-bundle/2'",
    ),
    "msp-missing": (edit("msp", ...), "msp must be a dict"),
    "node-ous-missing": (edit("msp.node_ous", ...), "msp.node_ous must be a dict"),
    "node-ous-without-orderer": (
        edit("msp.node_ous.orderer", ...),
        "msp.node_ous must map each of client, peer, admin, orderer to itself",
    ),
    "node-ous-renamed": (
        edit("msp.node_ous.client", "member"),
        "msp.node_ous must map each of client, peer, admin, orderer to itself",
    ),
    "ca-not-object": (edit("ca", "https://ca.river.example:10054"), "ca must be a dict"),
    "key-number": (edit("key", 7), "key must be a str"),
    "key-capital": (edit("key", "River"), "key 'River' must be 2-31 lowercase letters or digits"),
    "key-too-long": (
        edit("key", "r" * 32),
        f"key {'r' * 32!r} must be 2-31 lowercase letters or digits",
    ),
    "key-path": (
        edit("key", "../river"),
        "key '../river' must be 2-31 lowercase letters or digits",
    ),
    "msp-id-digit": (
        edit("msp_id", "1RiverMSP"),
        "msp_id '1RiverMSP' must be a letter then letters or digits",
    ),
    "msp-id-slash": (
        edit("msp_id", "River/MSP"),
        "msp_id 'River/MSP' must be a letter then letters or digits",
    ),
    "display-name-empty": (
        edit("display_name", ""),
        "display_name must be 1-200 printable characters",
    ),
    "display-name-newline": (
        edit("display_name", "River\nEnergy"),
        "display_name must be 1-200 printable characters",
    ),
    "display-name-long": (
        edit("display_name", "R" * 201),
        "display_name must be 1-200 printable characters",
    ),
    "kind-unknown": (
        edit("kind", "household"),
        "kind 'household' must be one of utility, community, regulator",
    ),
    "kind-bool": (edit("kind", True), "kind must be a str"),
    "root-certs-empty": (
        edit("msp.root_certs", []),
        "msp.root_certs must hold at least one certificate",
    ),
    "root-certs-text": (
        edit("msp.root_certs", CA),
        "msp.root_certs must be a list of PEM certificates",
    ),
    "root-certs-number": (
        edit("msp.root_certs", [CA, 1]),
        "msp.root_certs must be a list of PEM certificates",
    ),
    "tls-root-not-pem": (
        edit("msp.tls_root_certs", ["hello"]),
        "msp.tls_root_certs[0] is not a PEM certificate",
    ),
    "admin-cert-a-key": (
        edit("msp.admin_certs", [ADMIN, PRIVATE_KEY]),
        "msp.admin_certs[1] is not a PEM certificate",
    ),
    "two-certs-in-one": (
        edit("msp.admin_certs", [ADMIN + ADMIN]),
        "msp.admin_certs[0] is not a PEM certificate",
    ),
    "peers-empty": (edit("peers", []), "peers must name at least one peer"),
    "peers-object": (edit("peers", {"host": "x"}), "peers must be a list"),
    "peer-text": (
        edit("peers.0", "peer0.river.example:10051"),
        "peers[0] must be an object with host and port",
    ),
    "peer-port-text": (edit("peers.0.port", "10051"), "peers[0].port must be an int"),
    "peer-port-bool": (edit("peers.0.port", True), "peers[0].port must be an int"),
    "peer-port-zero": (edit("peers.0.port", 0), "peers[0].port 0 is not a port"),
    "peer-port-high": (edit("peers.0.port", 65536), "peers[0].port 65536 is not a port"),
    "peer-host-space": (
        edit("peers.0.host", "peer 0"),
        "peers[0].host 'peer 0' is not a host name or address",
    ),
    "orderers-missing": (edit("orderers", ...), "orderers must be a list"),
    "orderer-host-dash": (
        edit("orderers.0.host", "-x"),
        "orderers[0].host '-x' is not a host name or address",
    ),
    "second-orderer-port": (
        edit("orderers.1", SECOND_ORDERER),
        "orderers[1].port 70000 is not a port",
    ),
    "orderer-no-tls-cert": (edit("orderers.0.tls_cert", ...), "orderers[0].tls_cert must be a str"),
    "orderer-tls-not-pem": (
        edit("orderers.0.tls_cert", ""),
        "orderers[0].tls_cert is not a PEM certificate",
    ),
    "ca-url-http": (
        edit("ca.url", "http://ca.river.example:10054"),
        "ca.url 'http://ca.river.example:10054' must be https://host:port",
    ),
    "ca-url-no-port": (
        edit("ca.url", "https://ca.river.example"),
        "ca.url 'https://ca.river.example' must be https://host:port",
    ),
    "ca-name-missing": (edit("ca.name", ...), "ca.name must be a str"),
    "ca-name-no-prefix": (edit("ca.name", "river"), "ca.name 'river' must be ca-<org key>"),
    "ca-name-capital": (edit("ca.name", "ca-River"), "ca.name 'ca-River' must be ca-<org key>"),
}


@pytest.mark.parametrize(("change", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_bundle_is_refused_naming_what_is_wrong(change, message):
    doc = document()
    doc["orderers"].append(copy.deepcopy(doc["orderers"][0]))  # so orderers[1] exists
    broken = change(doc)

    with pytest.raises(BundleError) as caught:
        OrgBundle.from_json(broken)
    assert str(caught.value) == message
    with pytest.raises(BundleError) as again:
        OrgBundle.loads(json.dumps(broken))
    assert str(again.value) == message


@pytest.mark.parametrize("value", [[], "bundle", None, 3], ids=["list", "text", "null", "number"])
def test_a_document_that_is_no_object_is_refused(value):
    with pytest.raises(BundleError) as caught:
        OrgBundle.loads(json.dumps(value))
    assert str(caught.value) == "the bundle must be a JSON object"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{",
            "the bundle is not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (b"\xff\xfe{", "the bundle is not JSON: "),
    ],
    ids=["truncated", "not-utf8"],
)
def test_text_that_is_no_json_is_refused(text, message):
    with pytest.raises(BundleError) as caught:
        OrgBundle.loads(text)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_bundle_made_in_code_is_checked_as_a_loaded_one():
    with pytest.raises(BundleError) as caught:
        replace(BUNDLE, peers=())
    assert str(caught.value) == "peers must name at least one peer"


def test_the_node_ous_are_the_four_roles_of_fabric():
    assert NODE_OUS == ("client", "peer", "admin", "orderer")
