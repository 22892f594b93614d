"""An org's own Fabric CA: start it, register and enrol the org's identities, write their MSPs.

Every certificate of an org comes from its own `fabric-ca-server`: node and user
enrolment certificates (with the `role` and `household_id` attributes GridLedger's
access control reads) and TLS certificates (profile `tls`, with the host's address as
a subject alternative name). One CA per org issues both, so the org's TLS root is its
CA certificate. Node OUs are on, so a certificate's OU (client, peer, admin, orderer)
is its role in channel policies.

Registering and enrolling go through GridLedger's own CA client (REST), so no
enrolment secret is ever on a command line. The CA's bootstrap registrar is written
into the CA's own configuration file before its first start (inside the org's 0700
home), not passed with `-b` or in the environment: the CA logs both, this it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization

from client import CAClient, CAError, Enrollment, load_private_key
from network.console import info
from network.home import OrgHome, write_private
from network.paths import tool
from network.procs import Process, wait_until
from network.runtime import ensure_alive, start
from network.topology import (
    ADMIN_USER,
    CA_OFFSET,
    CA_OPERATIONS_OFFSET,
    LOOPBACK,
    Org,
    User,
)

REGISTRAR = "ca-admin"
NODE_OUS = {
    "client": "ClientOUIdentifier",
    "peer": "PeerOUIdentifier",
    "admin": "AdminOUIdentifier",
    "orderer": "OrdererOUIdentifier",
}
# An org admin registers and revokes its org's people (the API's admin endpoints do):
# clients only, and only with GridLedger's attributes.
ADMIN_POWERS = {
    "hf.Registrar.Roles": "client",
    "hf.Registrar.Attributes": "role,household_id,meter_ids",
    "hf.Revoker": "true",
}


@dataclass(frozen=True)
class Enrollee:
    """An identity the org's CA issues at bring-up: its type, attributes, and which certs."""

    name: str
    id_type: str
    attributes: dict[str, str]
    signing: bool = True
    tls: bool = False
    powers: tuple[tuple[str, str], ...] = ()


def enrollees(org: Org) -> list[Enrollee]:
    """Everyone the org's CA issues certificates to at bring-up: nodes, services, people.

    `chaincode` and `api` are TLS-only: the chaincode servers' and the API's client side
    of mutual TLS. The API signs every ledger call with its user's own key.
    """
    return [
        Enrollee("peer0", "peer", {}, tls=True),
        Enrollee("orderer0", "orderer", {}, tls=True),
        Enrollee("chaincode", "client", {}, signing=False, tls=True),
        Enrollee("api", "client", {}, signing=False, tls=True),
        Enrollee(
            ADMIN_USER.name,
            "admin",
            {"role": ADMIN_USER.role},
            tls=True,
            powers=tuple(ADMIN_POWERS.items()),
        ),
        *(user_enrollee(u) for u in org.users),
    ]


def user_enrollee(user: User) -> Enrollee:
    return Enrollee(user.name, "client", {"role": user.role, **user.attributes})


class OrgCA:
    """The CA of the org whose home this is, and the identities it issued."""

    def __init__(self, home: OrgHome) -> None:
        self.home = home
        self.org = home.org

    @property
    def cert(self) -> Path:
        return self.home.ca_cert

    def hosts(self) -> list[str]:
        return list(dict.fromkeys(["localhost", LOOPBACK, self.org.host]))

    def process(self) -> Process:
        argv = (
            str(tool("fabric-ca-server")),
            "start",
            "--home",
            str(self.home.ca_server),
            "--port",
            str(self.org.port(CA_OFFSET)),
            "--address",
            self.org.listen_host,
            "--tls.enabled",
            "--ca.name",
            self.org.ca_name,
            "--csr.cn",
            self.org.ca_name,
            "--csr.hosts",
            ",".join(self.hosts()),
            "--cfg.identities.allowremove",
        )
        env = {
            "PATH": "/usr/bin:/bin",
            "FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS": (
                f"{LOOPBACK}:{self.org.port(CA_OPERATIONS_OFFSET)}"
            ),
        }
        return Process(f"ca-{self.org.key}", argv, env, self.home.path)

    def write_config(self) -> None:
        """The CA's configuration before its first start: its registrar and signing profiles.

        Everything else (name, address, TLS, CSR) is on the command line and takes the
        server's defaults; the `tls` profile is what makes TLS certificates fit for
        servers and clients.
        """
        path = self.home.ca_server / "fabric-ca-server-config.yaml"
        if not path.exists():
            config = ca_config(self.home.secret("ca-registrar"))
            write_private(path, yaml.safe_dump(config, sort_keys=False))

    def start(self) -> None:
        self.write_config()
        ports = (
            (self.org.host, self.org.port(CA_OFFSET)),
            (LOOPBACK, self.org.port(CA_OPERATIONS_OFFSET)),
        )
        start(self.home, self.process(), ports)

    def client(self) -> CAClient:
        return CAClient(self.org.ca_url, self.org.ca_name, self.cert.read_bytes())

    def wait_ready(self, timeout: float = 30) -> None:
        def ready() -> bool:
            ensure_alive(self.home, self.process())
            if not self.cert.exists():
                return False
            self.client().ca_chain()
            return True

        wait_until(ready, f"{self.org.ca_name} to answer on {self.org.ca_url}", timeout)

    def bootstrap(self) -> None:
        """Register and enrol every identity that is not enrolled yet."""
        registrar = self.registrar()
        for enrollee in enrollees(self.org):
            self.register(registrar, enrollee)
            self.enroll(enrollee)

    def registrar(self) -> Enrollment:
        msp = self.home.identity_msp(REGISTRAR)
        if not (msp / "signcerts" / "cert.pem").exists():
            enrollment = self.client().enroll(REGISTRAR, self.home.secret("ca-registrar"))
            write_msp(msp, enrollment, self.cert.read_bytes())
        return read_enrollment(msp)

    def register(self, registrar: Enrollment, who: Enrollee) -> None:
        try:
            self.client().register(
                registrar,
                who.name,
                secret=self.home.secret(f"enrollment-{who.name}"),
                id_type=who.id_type,
                attributes=who.attributes,
                powers=dict(who.powers),
            )
        except CAError as exc:
            if "already registered" not in str(exc):
                raise

    def enroll(self, who: Enrollee) -> None:
        secret = self.home.secret(f"enrollment-{who.name}")
        msp = self.home.identity_msp(who.name)
        if who.signing and not (msp / "signcerts" / "cert.pem").exists():
            write_msp(msp, self.client().enroll(who.name, secret), self.cert.read_bytes())
            info(f"{self.org.msp_id}: enrolled {who.name} ({who.id_type})")
        tls = self.home.identity_tls(who.name)
        if who.tls and not (tls / "cert.pem").exists():
            enrollment = self.client().enroll(
                who.name, secret, profile="tls", csr_hosts=self.hosts()
            )
            write_tls(tls, enrollment, self.cert.read_bytes())


def ca_config(registrar_secret: str) -> dict[str, Any]:
    registrar_powers = {
        "hf.Registrar.Roles": "*",
        "hf.Registrar.DelegateRoles": "*",
        "hf.Registrar.Attributes": "*",
        "hf.Revoker": True,
        "hf.GenCRL": True,
        "hf.IntermediateCA": True,
        "hf.AffiliationMgr": True,
    }
    registrar = {"name": REGISTRAR, "pass": registrar_secret, "type": "client"}
    return {
        "registry": {
            "maxenrollments": -1,
            "identities": [{**registrar, "affiliation": "", "attrs": registrar_powers}],
        },
        "signing": {
            "default": {"usage": ["digital signature"], "expiry": "8760h"},
            "profiles": {
                "ca": {
                    "usage": ["cert sign", "crl sign"],
                    "expiry": "43800h",
                    "caconstraint": {"isca": True, "maxpathlen": 0},
                },
                "tls": {
                    "usage": [
                        "signing",
                        "key encipherment",
                        "server auth",
                        "client auth",
                        "key agreement",
                    ],
                    "expiry": "8760h",
                },
            },
        },
    }


def pem_key(enrollment: Enrollment) -> bytes:
    return enrollment.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_msp(msp: Path, enrollment: Enrollment, ca_cert: bytes) -> None:
    """A local MSP folder as Fabric's nodes and CLI read it, with Node OUs on."""
    write_private(msp / "signcerts" / "cert.pem", enrollment.certificate)
    write_private(msp / "keystore" / "key_sk", pem_key(enrollment))
    write_private(msp / "cacerts" / "ca.pem", ca_cert)
    write_private(msp / "config.yaml", yaml.safe_dump(node_ou_config(), sort_keys=False))


def write_tls(folder: Path, enrollment: Enrollment, ca_cert: bytes) -> None:
    """tls/{cert,key,ca}.pem, the layout the node configs and TLS clients use."""
    write_private(folder / "cert.pem", enrollment.certificate)
    write_private(folder / "key.pem", pem_key(enrollment))
    write_private(folder / "ca.pem", ca_cert)


def node_ou_config() -> dict:
    ous = {
        key: {"Certificate": "cacerts/ca.pem", "OrganizationalUnitIdentifier": ou}
        for ou, key in NODE_OUS.items()
    }
    return {"NodeOUs": {"Enable": True, **ous}}


def private_key(msp: Path) -> Path:
    return msp / "keystore" / "key_sk"


def read_enrollment(msp: Path) -> Enrollment:
    return Enrollment(
        certificate=(msp / "signcerts" / "cert.pem").read_bytes(),
        private_key=load_private_key(private_key(msp)),
        ca_chain=(msp / "cacerts" / "ca.pem").read_bytes(),
    )
