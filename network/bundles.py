"""Org definition bundles: export one's own from its home, import another org's into it.

A bundle (`gridspec.bundle`) is the only thing an org must hand to the others before
they can put it on a channel. Exporting and importing both print the fingerprint, so
the two operators can read it to each other over another line before anyone trusts
the file. An imported bundle is kept in the importer's home (`bundles/<org>.json`);
importing a different bundle for an org already known is refused unless replaced on
purpose.
"""

from __future__ import annotations

from pathlib import Path

from gridspec.bundle import BundleError, Endpoint, OrdererNode, OrgBundle
from network.console import NetworkError
from network.home import OrgHome, write_private, write_public
from network.topology import ORDERER_OFFSET, PEER_OFFSET


def own_bundle(home: OrgHome) -> OrgBundle:
    """The org's bundle, from its CA certificate, admin certificate and node addresses."""
    org = home.org
    ca_cert = home.ca_cert.read_text()
    admin = home.identity_msp("admin") / "signcerts" / "cert.pem"
    orderer_tls = home.identity_tls("orderer0") / "cert.pem"
    if not admin.exists() or not orderer_tls.exists():
        raise NetworkError(f"{org.key} has no admin or orderer certificate yet: run `up` first")
    return OrgBundle(
        key=org.key,
        msp_id=org.msp_id,
        display_name=org.display_name,
        kind=org.kind,
        root_certs=(ca_cert,),
        tls_root_certs=(ca_cert,),
        admin_certs=(admin.read_text(),),
        peers=(Endpoint(org.host, org.port(PEER_OFFSET)),),
        orderers=(OrdererNode(org.host, org.port(ORDERER_OFFSET), orderer_tls.read_text()),),
        ca_url=org.ca_url,
        ca_name=org.ca_name,
    )


def export(home: OrgHome, out: Path) -> OrgBundle:
    bundle = own_bundle(home)
    write_public(out, bundle.dumps())
    return bundle


def read(path: Path) -> OrgBundle:
    try:
        return OrgBundle.loads(path.read_bytes())
    except OSError as exc:
        raise NetworkError(f"cannot read bundle {path}: {exc.strerror}") from exc
    except BundleError as exc:
        raise NetworkError(f"{path} is not a usable org bundle: {exc}") from exc


def import_bundle(home: OrgHome, path: Path, replace: bool = False) -> OrgBundle:
    """Keep another org's bundle in `home`; refuse its own, a clash, or a silent change."""
    bundle = read(path)
    org = home.org
    if bundle.key == org.key or bundle.msp_id == org.msp_id:
        raise NetworkError(f"{path} is {bundle.key} ({bundle.msp_id}): this home's own org")
    for other in imported(home):
        if other.key != bundle.key and other.msp_id == bundle.msp_id:
            raise NetworkError(f"MSP id {bundle.msp_id} is already {other.key}'s")
        if other.key == bundle.key and other.canonical() != bundle.canonical() and not replace:
            raise NetworkError(
                f"a different bundle of {bundle.key} was imported before "
                f"({other.fingerprint()}); check with {bundle.key} and import with --replace"
            )
    write_private(home.bundles / f"{bundle.key}.json", bundle.dumps())
    return bundle


def imported(home: OrgHome) -> list[OrgBundle]:
    folder = home.bundles
    return [read(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def known(home: OrgHome, key: str) -> OrgBundle:
    """The bundle of org `key`: this home's own, or one it imported."""
    if key == home.org.key:
        return own_bundle(home)
    path = home.bundles / f"{key}.json"
    if not path.exists():
        raise NetworkError(f"{home.org.key} has no bundle of {key}: import it first")
    return read(path)
