"""A Fabric common connection profile: how a client finds its org's peer, CA and channels.

The profile is the JSON form fabric-samples writes as ``connection-<org>.json`` and the
Fabric SDKs read: ``client.organization`` names the org whose people use it;
``organizations.<org>`` gives its MSP id, peers and CAs; ``peers``, ``orderers`` and
``certificateAuthorities`` give each node's URL and the TLS root its certificate chains
to (``tlsCACerts.pem``); ``channels.<name>`` lists the channels the org is on, with their
peers and orderers. It holds no key and no secret, so an operator can hand it to the
org's applications as it is.

An application never needs more than this and its own identities: no operator folder.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CAEntry", "ConnectionProfile", "NodeEntry", "ProfileError"]


class ProfileError(ValueError):
    """A connection profile that cannot be used; the message names the field."""


@dataclass(frozen=True)
class NodeEntry:
    """A peer or orderer: its name, ``grpcs://host:port`` URL and TLS root (PEM)."""

    name: str
    url: str
    tls_root: bytes

    @property
    def address(self) -> str:
        """``host:port``, what gRPC dials."""
        return self.url.removeprefix("grpcs://")

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "tlsCACerts": {"pem": self.tls_root.decode()},
            "grpcOptions": {"ssl-target-name-override": urlsplit(self.url).hostname},
        }


@dataclass(frozen=True)
class CAEntry:
    """A Fabric CA: its CA name, ``https://host:port`` URL and TLS root (PEM)."""

    name: str
    url: str
    tls_root: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "caName": self.name,
            "tlsCACerts": {"pem": [self.tls_root.decode()]},
        }


@dataclass(frozen=True)
class ConnectionProfile:
    """One org's view of the network, as its applications need it."""

    organization: str
    msp_id: str
    peers: Mapping[str, NodeEntry]
    certificate_authorities: Mapping[str, CAEntry]
    orderers: Mapping[str, NodeEntry] = field(default_factory=dict)
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """channel name → the names of the orderers that order it."""

    def __post_init__(self) -> None:
        if not self.peers:
            raise ProfileError(f"organizations.{self.organization}.peers must name a peer")
        if not self.certificate_authorities:
            raise ProfileError(
                f"organizations.{self.organization}.certificateAuthorities must name a CA"
            )
        for channel, names in self.channels.items():
            unknown = [n for n in names if n not in self.orderers]
            if unknown:
                raise ProfileError(f"channels.{channel}.orderers names unknown {unknown}")

    @property
    def peer(self) -> NodeEntry:
        """The org's own peer (the first listed), where its applications send everything."""
        return next(iter(self.peers.values()))

    @property
    def ca(self) -> CAEntry:
        return next(iter(self.certificate_authorities.values()))

    def channel_orderers(self, channel: str) -> list[NodeEntry]:
        """The orderers of `channel`; KeyError names the channels the org is on."""
        if channel not in self.channels:
            known = ", ".join(sorted(self.channels)) or "none"
            raise KeyError(f"{self.organization} is not on channel {channel}; it is on: {known}")
        return [self.orderers[name] for name in self.channels[channel]]

    def to_json(self) -> dict[str, Any]:
        own_peers = {name: {"endorsingPeer": True, "chaincodeQuery": True} for name in self.peers}
        return {
            "name": f"gridledger-{self.organization}",
            "version": "1.0.0",
            "client": {"organization": self.organization},
            "organizations": {
                self.organization: {
                    "mspid": self.msp_id,
                    "peers": list(self.peers),
                    "certificateAuthorities": list(self.certificate_authorities),
                }
            },
            "peers": {name: peer.to_json() for name, peer in self.peers.items()},
            "orderers": {name: node.to_json() for name, node in self.orderers.items()},
            "certificateAuthorities": {
                name: ca.to_json() for name, ca in self.certificate_authorities.items()
            },
            "channels": {
                name: {"orderers": list(orderers), "peers": own_peers}
                for name, orderers in sorted(self.channels.items())
            },
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def load(cls, path: str | PathLike[str]) -> "ConnectionProfile":
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ProfileError(f"cannot read connection profile {path}: {exc.strerror}") from exc
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ProfileError(f"{path} is not JSON: {exc}") from exc
        return cls.from_json(document)

    @classmethod
    def from_json(cls, document: Any) -> "ConnectionProfile":
        organization = _text(_object(document, "", "client").get("organization"))
        org = _object(_object(document, "", "organizations"), "organizations.", organization)
        where = f"organizations.{organization}."
        msp_id = _text(org.get("mspid"), where + "mspid")
        peers = {
            name: _node(document, "peers", name) for name in _names(org, where + "peers", "peers")
        }
        cas = {
            name: _ca(document, name)
            for name in _names(org, where + "certificateAuthorities", "certificateAuthorities")
        }
        orderers = {
            name: _node(document, "orderers", name) for name in _optional(document, "orderers")
        }
        listed = _optional(document, "channels")
        channels = {
            name: tuple(
                _names(_object(listed, "channels.", name), f"channels.{name}.orderers", "orderers")
            )
            for name in listed
        }
        return cls(organization, msp_id, peers, cas, orderers, channels)


def _object(document: Any, where: str, name: str) -> dict[str, Any]:
    value = document.get(name) if isinstance(document, dict) else None
    if not isinstance(value, dict):
        raise ProfileError(f"{where}{name} must be an object")
    return value


def _optional(document: dict[str, Any], name: str) -> dict[str, Any]:
    """A section a profile may leave out (an org on no channel yet has no orderers)."""
    return _object(document, "", name) if document.get(name) is not None else {}


def _text(value: Any, where: str = "client.organization") -> str:
    if not isinstance(value, str) or not value:
        raise ProfileError(f"{where} must be a non-empty string")
    return value


def _names(document: dict[str, Any], where: str, key: str) -> list[str]:
    value = document.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where} must be a list of names")
    return value


def _pem(entry: dict[str, Any], where: str) -> bytes:
    pem = _object(entry, where + ".", "tlsCACerts").get("pem")
    if isinstance(pem, list) and pem and all(isinstance(p, str) for p in pem):
        pem = "".join(pem)
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise ProfileError(f"{where}.tlsCACerts.pem must hold a PEM certificate")
    return pem.encode()


def _node(document: dict[str, Any], section: str, name: str) -> NodeEntry:
    entry = _object(_object(document, "", section), f"{section}.", name)
    url = _text(entry.get("url"), f"{section}.{name}.url")
    parsed = urlsplit(url)
    if parsed.scheme != "grpcs" or not parsed.hostname or parsed.port is None:
        raise ProfileError(f"{section}.{name}.url {url!r} must be grpcs://host:port")
    return NodeEntry(name, url, _pem(entry, f"{section}.{name}"))


def _ca(document: dict[str, Any], name: str) -> CAEntry:
    where = f"certificateAuthorities.{name}"
    entry = _object(
        _object(document, "", "certificateAuthorities"), "certificateAuthorities.", name
    )
    url = _text(entry.get("url"), where + ".url")
    if not url.startswith("https://"):
        raise ProfileError(f"{where}.url {url!r} must be https://host:port")
    return CAEntry(_text(entry.get("caName"), where + ".caName"), url, _pem(entry, where))
