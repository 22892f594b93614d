"""Each org's Fabric CA: start it, register and enroll every identity, assemble the MSPs.

Every certificate in the network comes from a real `fabric-ca-server` through
`fabric-ca-client`: node and user enrollment certificates (with the `role` and
`household_id` attributes GridLedger's access control reads) and TLS certificates
(`--enrollment.profile tls`, SANs `localhost` and `127.0.0.1`). One CA per org issues
both, so the org's TLS root is its CA certificate. Node OUs are on, so a
certificate's OU (client, peer, admin, orderer) is its role in channel policies.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from network.console import NetworkError, info
from network.paths import org_dir, tool
from network.procs import Process, ensure_alive, start, wait_until
from network.topology import (
    ADMIN_USER,
    CA_OFFSET,
    CA_OPERATIONS_OFFSET,
    HOST,
    Org,
    User,
)

CSR_HOSTS = "localhost,127.0.0.1"
REGISTRAR = "ca-admin"
NODE_OUS = {
    "client": "ClientOUIdentifier",
    "peer": "PeerOUIdentifier",
    "admin": "AdminOUIdentifier",
    "orderer": "OrdererOUIdentifier",
}


@dataclass(frozen=True)
class Enrollee:
    """An identity to register at an org's CA: its type, attributes and whether it needs TLS."""

    name: str
    id_type: str
    attributes: dict[str, str]
    tls: bool
    powers: tuple[tuple[str, str], ...] = ()

    def attrs_flag(self) -> str:
        """--id.attrs: ABAC attributes go into the certificate; CA powers (hf.*) do not."""
        in_cert = [f"{k}={v}:ecert" for k, v in sorted(self.attributes.items())]
        powers = [f'"{k}={v}"' if "," in v else f"{k}={v}" for k, v in self.powers]
        return ",".join(in_cert + powers)


# An org admin registers and revokes its org's people (the API's admin endpoints do):
# clients only, and only with GridLedger's attributes.
ADMIN_POWERS = (
    ("hf.Registrar.Roles", "client"),
    ("hf.Registrar.Attributes", "role,household_id,meter_ids"),
    ("hf.Revoker", "true"),
)


def enrollees(org: Org) -> list[Enrollee]:
    """Everyone the org's CA issues certificates to at bring-up."""
    nodes = [
        Enrollee("peer0", "peer", {}, tls=True),
        Enrollee("orderer0", "orderer", {}, tls=True),
        Enrollee("chaincode", "client", {}, tls=True),
        Enrollee(
            ADMIN_USER.name, "admin", {"role": ADMIN_USER.role}, tls=True, powers=ADMIN_POWERS
        ),
    ]
    return nodes + [user_enrollee(u) for u in org.users]


def user_enrollee(user: User) -> Enrollee:
    return Enrollee(user.name, "client", {"role": user.role, **user.attributes}, tls=False)


class OrgCA:
    """Paths and operations of one org's CA and the identities it issued."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.root = org_dir(org.key)
        self.server_home = self.root / "ca" / "server"
        self.client_home = self.root / "ca" / "client"

    @property
    def ca_cert(self) -> Path:
        return self.server_home / "ca-cert.pem"

    @property
    def msp_dir(self) -> Path:
        """The org's public MSP (CA and TLS CA certificates, Node OU config)."""
        return self.root / "msp"

    def identity_dir(self, name: str) -> Path:
        return self.root / "identities" / name

    def msp(self, name: str) -> Path:
        return self.identity_dir(name) / "msp"

    def tls(self, name: str) -> Path:
        return self.identity_dir(name) / "tls"

    def secret_file(self, name: str) -> Path:
        return self.root / "ca" / "secrets" / name

    def secret(self, name: str) -> str:
        """The enrollment secret of `name`, created on first use and kept in the run folder."""
        path = self.secret_file(name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path.read_text().strip()

    def process(self) -> Process:
        port = self.org.port(CA_OFFSET)
        argv = (
            str(tool("fabric-ca-server")),
            "start",
            "-b",
            f"{REGISTRAR}:{self.secret(REGISTRAR)}",
            "--home",
            str(self.server_home),
            "--port",
            str(port),
            "--address",
            HOST,
            "--tls.enabled",
            "--ca.name",
            self.org.ca_name,
            "--csr.cn",
            self.org.ca_name,
            "--csr.hosts",
            CSR_HOSTS,
            "--cfg.identities.allowremove",
        )
        operations = f"{HOST}:{self.org.port(CA_OPERATIONS_OFFSET)}"
        env = {"PATH": "/usr/bin:/bin", "FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS": operations}
        return Process(f"ca-{self.org.key}", argv, env)

    def start(self) -> None:
        self.server_home.mkdir(parents=True, exist_ok=True)
        ports = (self.org.port(CA_OFFSET), self.org.port(CA_OPERATIONS_OFFSET))
        start(self.process(), ports)

    def client(self, *args: str, mspdir: Path | None = None) -> str:
        """Run fabric-ca-client against this CA; return stdout+stderr, raise on failure."""
        argv = [
            str(tool("fabric-ca-client")),
            *args,
            "--caname",
            self.org.ca_name,
            "--tls.certfiles",
            str(self.ca_cert),
            "--home",
            str(self.client_home),
        ]
        if mspdir is not None:
            argv += ["--mspdir", str(mspdir)]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise NetworkError(
                f"fabric-ca-client {args[0]} at {self.org.ca_name} failed: {result.stderr.strip()}"
            )
        return result.stdout + result.stderr

    def wait_ready(self, timeout: float = 30) -> None:
        def ready() -> bool:
            ensure_alive(self.process())
            if not self.ca_cert.exists():
                return False
            self.client("getcainfo", "-u", self.org.ca_url, mspdir=self.client_home / "cainfo")
            return True

        wait_until(ready, f"{self.org.ca_name} to answer on {self.org.ca_url}", timeout)

    def bootstrap(self) -> None:
        """Register and enroll every identity that is not enrolled yet, then write the MSPs."""
        self.enroll_registrar()
        for enrollee in enrollees(self.org):
            self.register(enrollee)
            self.enroll(enrollee)
        self.write_org_msp()

    def enroll_registrar(self) -> None:
        msp = self.msp(REGISTRAR)
        if not (msp / "signcerts" / "cert.pem").exists():
            self.enroll_url(REGISTRAR, mspdir=msp)

    def enroll_url(self, name: str, *extra: str, mspdir: Path) -> None:
        url = f"https://{name}:{self.secret(name)}@localhost:{self.org.port(CA_OFFSET)}"
        self.client("enroll", "-u", url, *extra, mspdir=mspdir)

    def register(self, who: Enrollee) -> None:
        args = [
            "register",
            "-u",
            self.org.ca_url,
            "--id.name",
            who.name,
            "--id.secret",
            self.secret(who.name),
            "--id.type",
            who.id_type,
        ]
        if who.attributes:
            args += ["--id.attrs", who.attrs_flag()]
        try:
            self.client(*args, mspdir=self.msp(REGISTRAR))
        except NetworkError as exc:
            if "is already registered" not in str(exc):
                raise

    def enroll(self, who: Enrollee) -> None:
        msp = self.msp(who.name)
        if not (msp / "signcerts" / "cert.pem").exists():
            self.enroll_url(who.name, mspdir=msp)
            write_node_ou_config(msp, self.ca_cert)
            info(f"{self.org.msp_id}: enrolled {who.name} ({who.id_type})")
        if who.tls and not (self.tls(who.name) / "cert.pem").exists():
            raw = self.identity_dir(who.name) / "tls-enroll"
            self.enroll_url(
                who.name, "--enrollment.profile", "tls", "--csr.hosts", CSR_HOSTS, mspdir=raw
            )
            flatten_tls(raw, self.tls(who.name), self.ca_cert)

    def write_org_msp(self) -> None:
        for sub in ("cacerts", "tlscacerts"):
            (self.msp_dir / sub).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.ca_cert, self.msp_dir / sub / "ca.pem")
        write_node_ou_config(self.msp_dir, self.ca_cert)


def write_node_ou_config(msp: Path, ca_cert: Path) -> None:
    """Turn Node OUs on for an MSP folder, naming its CA certificate as the OU issuer."""
    cacerts = msp / "cacerts"
    cacerts.mkdir(parents=True, exist_ok=True)
    for old in cacerts.glob("*.pem"):
        if old.name != "ca.pem":
            old.unlink()
    shutil.copyfile(ca_cert, cacerts / "ca.pem")
    (msp / "config.yaml").write_text(yaml.safe_dump(node_ou_config(), sort_keys=False))


def node_ou_config() -> dict:
    ous = {
        key: {"Certificate": "cacerts/ca.pem", "OrganizationalUnitIdentifier": ou}
        for ou, key in NODE_OUS.items()
    }
    return {"NodeOUs": {"Enable": True, **ous}}


def flatten_tls(raw_msp: Path, tls_dir: Path, ca_cert: Path) -> None:
    """Copy a TLS enrollment into tls/{cert,key,ca}.pem, the layout the node configs use."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    keys = list((raw_msp / "keystore").glob("*_sk"))
    if len(keys) != 1:
        raise NetworkError(f"expected one TLS key in {raw_msp}/keystore, found {len(keys)}")
    shutil.copyfile(raw_msp / "signcerts" / "cert.pem", tls_dir / "cert.pem")
    shutil.copyfile(keys[0], tls_dir / "key.pem")
    (tls_dir / "key.pem").chmod(0o600)
    shutil.copyfile(ca_cert, tls_dir / "ca.pem")
    shutil.rmtree(raw_msp)


def private_key(msp: Path) -> Path:
    keys = list((msp / "keystore").glob("*_sk"))
    if len(keys) != 1:
        raise NetworkError(f"expected one key in {msp}/keystore, found {len(keys)}")
    return keys[0]
