"""Real channel configs from Fabric's own tools, for the config update tests to be checked against.

`configtxgen` and `configtxlator` (pinned in `.tools/bin`) are the oracle: a consortium of
test orgs, each with its own CA and TLS CA made here with `cryptography`, is written as
a configtx.yaml in a temporary folder (laid out like `network/configtx.py`'s, which these
tests must not import), and configtxgen makes the channel's genesis block from it. The
client's own functions are then compared with what the tools compute from the same
input. Everything is read into memory before the folder goes, so results can be cached
for the whole run. (A uniquely named module rather than `conftest`, like `client_fakes`.)
"""

import datetime
import functools
import ipaddress
import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2, configtx_pb2

from client import Identity, new_private_key_signer
from gridspec.bundle import Endpoint, OrdererNode, OrgBundle

TOOLS = Path(__file__).resolve().parents[3] / ".tools" / "bin"
HOST = "127.0.0.1"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
CHANNEL = "community-sunnyside"
NODE_OUS = {
    "client": "ClientOUIdentifier",
    "peer": "PeerOUIdentifier",
    "admin": "AdminOUIdentifier",
    "orderer": "OrdererOUIdentifier",
}


# -- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Authority:
    """A CA: its key and its self-signed PEM certificate."""

    key: ec.EllipticCurvePrivateKey
    pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.pem)

    def issue(self, key: ec.EllipticCurvePrivateKey, name: x509.Name, host: str = "") -> bytes:
        """A leaf certificate for `key`, with `host` as its address when it is a TLS one."""
        builder = _builder(name, self.certificate.subject, key).add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        if host:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
                ),
                critical=False,
            )
        return _signed_low_s(builder, self.key)


def new_authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return Authority(key, _signed_low_s(builder, key))


def _signed_low_s(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The PEM certificate `builder` makes, signed by `key` with a low S, as fabric-ca signs.

    Fabric's MSP rewrites a certificate whose ECDSA signature has a high S to its low-S
    twin before serializing the identity, so a high-S certificate would be a different
    creator in what the peer CLI signs than in the PEM file.
    """
    while True:
        certificate = builder.sign(key, hashes.SHA256())
        if decode_dss_signature(certificate.signature)[1] <= P256_ORDER // 2:
            return certificate.public_bytes(serialization.Encoding.PEM)


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


# -- test orgs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberOrg:
    """An org of the test consortium: its bundle, and an admin who can sign for it."""

    bundle: OrgBundle
    ca: Authority
    admin: Identity
    admin_key: ec.EllipticCurvePrivateKey

    @property
    def msp_id(self) -> str:
        return self.bundle.msp_id

    def sign(self, digest: bytes) -> bytes:
        return new_private_key_signer(self.admin_key)(digest)


def new_org(key: str, msp_id: str, kind: str, port_base: int, *, extra_roots: int = 0) -> MemberOrg:
    """An org whose peer listens on port_base + 51 and orderer on port_base + 50."""
    ca = new_authority(f"ca.{key}.example")
    tls_ca = new_authority(f"tlsca.{key}.example")
    roots = [ca.pem, *(new_authority(f"ca{i}.{key}.example").pem for i in range(extra_roots))]
    orderer_key = ec.generate_private_key(ec.SECP256R1())
    orderer_tls = tls_ca.issue(orderer_key, _name("orderer0", "orderer"), HOST)
    admin_key = ec.generate_private_key(ec.SECP256R1())
    admin_pem = ca.issue(admin_key, _name(f"admin@{key}", "admin"))
    bundle = OrgBundle(
        key=key,
        msp_id=msp_id,
        display_name=key.capitalize(),
        kind=kind,
        root_certs=tuple(pem.decode() for pem in roots),
        tls_root_certs=(tls_ca.pem.decode(),),
        admin_certs=(admin_pem.decode(),),
        peers=(Endpoint(HOST, port_base + 51),),
        orderers=(OrdererNode(HOST, port_base + 50, orderer_tls.decode()),),
        ca_url=f"https://{HOST}:{port_base + 54}",
        ca_name=f"ca-{key}",
    )
    return MemberOrg(bundle, ca, Identity(msp_id, admin_pem), admin_key)


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@functools.cache
def founders() -> tuple[MemberOrg, ...]:
    """The consortium's three founding orgs (Sunnyside's MSP has two root certificates)."""
    return (
        new_org("utility", "UtilityMSP", "utility", 7000),
        new_org("sunnyside", "CommunityMSP", "community", 8000, extra_roots=1),
        new_org("regulator", "RegulatorMSP", "regulator", 9000),
    )


@functools.cache
def river() -> MemberOrg:
    """A community admitted later."""
    return new_org("river", "RiverMSP", "community", 10000)


# -- configtx.yaml ----------------------------------------------------------------------------


def write_msp(bundle: OrgBundle, folder: Path) -> Path:
    """The bundle's MSP as a folder, named so that the folder's order is the bundle's.

    configtxgen reads every file of `cacerts` in name order: `ca.pem` sorts before
    `ca01.pem`, which the Node OU config names.
    """
    msp = folder / "msp" / bundle.key
    for sub, certs in (("cacerts", bundle.root_certs), ("tlscacerts", bundle.tls_root_certs)):
        (msp / sub).mkdir(parents=True)
        for index, pem in enumerate(certs):
            (msp / sub / ("ca.pem" if index == 0 else f"ca{index:02d}.pem")).write_text(pem)
    ous = {
        field: {"Certificate": "cacerts/ca.pem", "OrganizationalUnitIdentifier": ou}
        for ou, field in NODE_OUS.items()
    }
    (msp / "config.yaml").write_text(yaml.safe_dump({"NodeOUs": {"Enable": True, **ous}}))
    return msp


def org_section(bundle: OrgBundle, folder: Path, *, orderer: bool = True) -> dict[str, Any]:
    msp = bundle.msp_id
    section: dict[str, Any] = {
        "Name": msp,
        "ID": msp,
        "MSPDir": str(write_msp(bundle, folder)),
        "Policies": {
            "Readers": _signature(f"OR('{msp}.member')"),
            "Writers": _signature(f"OR('{msp}.admin', '{msp}.client', '{msp}.orderer')"),
            "Admins": _signature(f"OR('{msp}.admin')"),
            "Endorsement": _signature(f"OR('{msp}.peer')"),
        },
        "AnchorPeers": [{"Host": p.host, "Port": p.port} for p in bundle.peers],
    }
    if orderer:
        section["OrdererEndpoints"] = [o.address for o in bundle.orderers]
    return section


def _signature(rule: str) -> dict[str, str]:
    return {"Type": "Signature", "Rule": rule}


def _implicit(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def _standard_policies() -> dict[str, Any]:
    return {
        "Readers": _implicit("ANY Readers"),
        "Writers": _implicit("ANY Writers"),
        "Admins": _implicit("MAJORITY Admins"),
    }


def _consenters(bundles: Sequence[OrgBundle], folder: Path) -> list[dict[str, Any]]:
    found = []
    for bundle in bundles:
        for index, node in enumerate(bundle.orderers):
            cert = folder / "consenters" / f"{bundle.key}-{index}.pem"
            cert.parent.mkdir(parents=True, exist_ok=True)
            cert.write_text(node.tls_cert)
            found.append(
                {
                    "Host": node.host,
                    "Port": node.port,
                    "ClientTLSCert": str(cert),
                    "ServerTLSCert": str(cert),
                }
            )
    return found


def profile(
    bundles: Sequence[OrgBundle], orderers: Sequence[OrgBundle], folder: Path
) -> dict[str, Any]:
    """A channel of `bundles` whose consenters are `orderers`' (some of them, or all)."""
    sections = {b.msp_id: org_section(b, folder) for b in bundles}
    block_signers = ", ".join(f"'{b.msp_id}.orderer'" for b in orderers)
    return {
        "Policies": _standard_policies(),
        "Capabilities": {"V3_0": True},
        "Orderer": {
            "OrdererType": "etcdraft",
            "BatchTimeout": "250ms",
            "BatchSize": {
                "MaxMessageCount": 500,
                "AbsoluteMaxBytes": "10 MB",
                "PreferredMaxBytes": "2 MB",
            },
            "EtcdRaft": {"Consenters": _consenters(orderers, folder)},
            "Organizations": [sections[b.msp_id] for b in orderers],
            "Policies": {
                **_standard_policies(),
                "BlockValidation": _signature(f"OR({block_signers})"),
            },
            "Capabilities": {"V2_0": True},
        },
        "Application": {
            "Organizations": list(sections.values()),
            "Policies": {
                **_standard_policies(),
                "LifecycleEndorsement": _implicit("MAJORITY Endorsement"),
                "Endorsement": _implicit("MAJORITY Endorsement"),
            },
            "Capabilities": {"V2_5": True},
        },
    }


# -- the tools --------------------------------------------------------------------------------


def run_tool(name: str, *args: str, data: bytes | None = None) -> bytes:
    """Run a pinned Fabric tool; its stdout, or AssertionError with its stderr."""
    result = subprocess.run(
        [str(TOOLS / name), *args], input=data, capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"{name} {args[0]} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


@functools.cache
def genesis_block(
    orgs: tuple[OrgBundle, ...], orderers: tuple[OrgBundle, ...] | None = None
) -> bytes:
    """The serialized genesis block configtxgen makes for a channel of `orgs`, ordered by
    `orderers` (by default, every org runs a consenter)."""
    with tempfile.TemporaryDirectory(prefix="gridledger-configtx-") as tmp:
        folder = Path(tmp)
        channel = profile(orgs, orgs if orderers is None else orderers, folder)
        (folder / "configtx.yaml").write_text(
            yaml.safe_dump({"Profiles": {"Channel": channel}}, sort_keys=False)
        )
        block = folder / "genesis.block"
        run_tool(
            "configtxgen",
            "-profile",
            "Channel",
            "-channelID",
            CHANNEL,
            "-outputBlock",
            str(block),
            "-configPath",
            str(folder),
        )
        return block.read_bytes()


def genesis_config(orgs: Sequence[MemberOrg], orderers: Sequence[MemberOrg] | None = None) -> Any:
    """The `common.Config` inside the genesis block of a channel of `orgs`, decoded here."""
    bundles = tuple(o.bundle for o in orgs)
    ordering = None if orderers is None else tuple(o.bundle for o in orderers)
    block = common_pb2.Block.FromString(genesis_block(bundles, ordering))
    payload = common_pb2.Payload.FromString(
        common_pb2.Envelope.FromString(block.data.data[0]).payload
    )
    return configtx_pb2.ConfigEnvelope.FromString(payload.data).config


def print_org(bundle: OrgBundle, *, orderer: bool) -> Any:
    """`configtxgen -printOrg` of the bundle's org section, as a ConfigGroup.

    printOrg prints the group as JSON with its values decoded by their place in a config
    (an orderer org's when the section has OrdererEndpoints, else an application org's),
    so it is encoded back in that place of an otherwise empty `common.Config`.
    """
    with tempfile.TemporaryDirectory(prefix="gridledger-printorg-") as tmp:
        folder = Path(tmp)
        section = org_section(bundle, folder, orderer=orderer)
        (folder / "configtx.yaml").write_text(
            yaml.safe_dump({"Organizations": [section]}, sort_keys=False)
        )
        printed = run_tool("configtxgen", "-printOrg", bundle.msp_id, "-configPath", str(folder))
    place = "Orderer" if orderer else "Application"
    document = {"channel_group": {"groups": {place: {"groups": {"Org": json.loads(printed)}}}}}
    encoded = run_tool(
        "configtxlator",
        "proto_encode",
        "--type",
        "common.Config",
        data=json.dumps(document).encode(),
    )
    return configtx_pb2.Config.FromString(encoded).channel_group.groups[place].groups["Org"]


def configtxlator_update(channel: str, original: Any, updated: Any) -> Any:
    """`configtxlator compute_update` of two `common.Config`s, as a ConfigUpdate."""
    with tempfile.TemporaryDirectory(prefix="gridledger-update-") as tmp:
        old, new = Path(tmp) / "original.pb", Path(tmp) / "updated.pb"
        old.write_bytes(original.SerializeToString())
        new.write_bytes(updated.SerializeToString())
        out = run_tool(
            "configtxlator",
            "compute_update",
            "--channel_id",
            channel,
            "--original",
            str(old),
            "--updated",
            str(new),
        )
    return configtx_pb2.ConfigUpdate.FromString(out)


def decode_json(data: bytes, proto_type: str) -> Any:
    """`configtxlator proto_decode`: how Fabric reads `data`, as JSON."""
    return json.loads(run_tool("configtxlator", "proto_decode", "--type", proto_type, data=data))


def peer_sign(envelope: bytes, org: MemberOrg) -> bytes:
    """`peer channel signconfigtx -f` as `org`'s admin: the envelope the peer CLI writes back.

    The CLI signs with an MSP folder (the admin's certificate and key, the org's CA, Node
    OUs on) and a core.yaml naming it; it connects to nothing for this command.
    """
    with tempfile.TemporaryDirectory(prefix="gridledger-peer-") as tmp:
        folder = Path(tmp)
        msp = folder / "msp"
        for sub, name, data in (
            ("signcerts", "cert.pem", org.admin.credentials),
            ("cacerts", "ca.pem", org.ca.pem),
            (
                "keystore",
                "key_sk",
                org.admin_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            ),
        ):
            (msp / sub).mkdir(parents=True)
            (msp / sub / name).write_bytes(data)
        ous = {
            field: {"Certificate": "cacerts/ca.pem", "OrganizationalUnitIdentifier": ou}
            for ou, field in NODE_OUS.items()
        }
        (msp / "config.yaml").write_text(yaml.safe_dump({"NodeOUs": {"Enable": True, **ous}}))
        core = {
            "peer": {
                "id": "signer",
                "localMspId": org.msp_id,
                "mspConfigPath": str(msp),
                "BCCSP": {"Default": "SW", "SW": {"Hash": "SHA2", "Security": 256}},
            }
        }
        (folder / "core.yaml").write_text(yaml.safe_dump(core))
        target = folder / "update.pb"
        target.write_bytes(envelope)
        result = subprocess.run(
            [str(TOOLS / "peer"), "channel", "signconfigtx", "-f", str(target)],
            env={"PATH": "/usr/bin:/bin", "HOME": tmp, "FABRIC_CFG_PATH": tmp},
            capture_output=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"peer channel signconfigtx failed: {result.stderr.decode()}")
        return target.read_bytes()


def revocation_list_pem(org: MemberOrg, *serials: int) -> bytes:
    """A CRL from `org`'s CA revoking `serials`."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(org.ca.certificate.subject)
        .last_update(now - datetime.timedelta(minutes=1))
        .next_update(now + datetime.timedelta(days=7))
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(org.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
