"""A wallet of identities kept in a folder, private keys encrypted at rest.

Each label is a subfolder (0700) holding four files (0600)::

    <folder>/<label>/cert.pem       the enrollment certificate
    <folder>/<label>/key.pem        the private key, PKCS#8 encrypted with the passphrase
    <folder>/<label>/ca.pem         the CA chain the certificate was issued under
    <folder>/<label>/identity.json  {"version": 1, "label": ..., "msp_id": ...}

``identity.json`` is written last, so a label exists only once it is complete, and
every file is replaced atomically. Labels are plain names (letters, digits, ``.``,
``_``, ``@``, ``-``; not starting with ``.``), so none can reach outside the folder.
"""

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .ca import Enrollment
from .identity import Identity, Sign, new_private_key_signer

__all__ = ["FileWallet", "WalletEntry", "WalletError"]

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_VERSION = 1
_CERT, _KEY, _CA, _META = "cert.pem", "key.pem", "ca.pem", "identity.json"


class WalletError(Exception):
    """A wallet entry is missing, damaged, or its key cannot be decrypted."""


@dataclass(frozen=True)
class WalletEntry:
    """One identity read from a wallet: its MSP id, certificate, key and CA chain."""

    label: str
    msp_id: str
    certificate: bytes
    private_key: ec.EllipticCurvePrivateKey = field(repr=False, compare=False)
    ca_chain: bytes = b""

    def identity(self) -> Identity:
        return Identity(msp_id=self.msp_id, credentials=self.certificate)

    def signer(self) -> Sign:
        return new_private_key_signer(self.private_key)

    def enrollment(self) -> Enrollment:
        """The entry as an `Enrollment`, e.g. to reenroll it before it expires."""
        return Enrollment(
            certificate=self.certificate, private_key=self.private_key, ca_chain=self.ca_chain
        )


class FileWallet:
    """Identities under `folder`, their private keys encrypted with `passphrase`."""

    def __init__(self, folder: str | PathLike[str], passphrase: bytes) -> None:
        if not isinstance(passphrase, bytes) or not passphrase:
            raise ValueError("the wallet passphrase must be non-empty bytes")
        self.folder = Path(folder)
        self._passphrase = passphrase

    def put(self, label: str, msp_id: str, enrollment: Enrollment) -> None:
        """Store `enrollment` as `label` of `msp_id`, replacing what the label held."""
        _check_label(label)
        if not msp_id:
            raise ValueError("msp_id must not be empty")
        key = enrollment.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        metadata = {"version": _VERSION, "label": label, "msp_id": msp_id}
        if not self.folder.exists():
            self.folder.mkdir(mode=0o700, parents=True)
            self.folder.chmod(0o700)
        entry = self.folder / label
        entry.mkdir(mode=0o700, exist_ok=True)
        entry.chmod(0o700)
        _write(entry / _CERT, enrollment.certificate)
        _write(entry / _KEY, key)
        _write(entry / _CA, enrollment.ca_chain)
        _write(entry / _META, json.dumps(metadata, sort_keys=True).encode())

    def get(self, label: str) -> WalletEntry:
        """The identity stored as `label`; `WalletError` when absent, damaged or the
        passphrase does not decrypt its key."""
        _check_label(label)
        entry = self.folder / label
        if not (entry / _META).is_file():
            raise WalletError(f"wallet {self.folder} has no identity labelled {label!r}")
        try:
            metadata = json.loads((entry / _META).read_bytes())
            certificate = (entry / _CERT).read_bytes()
            encrypted = (entry / _KEY).read_bytes()
            ca_chain = (entry / _CA).read_bytes()
        except (OSError, ValueError) as exc:
            raise WalletError(f"identity {label!r} in {self.folder} is damaged: {exc}") from exc
        if not isinstance(metadata, dict) or metadata.get("version") != _VERSION:
            raise WalletError(f"identity {label!r} has unreadable metadata (want version 1)")
        msp_id = metadata.get("msp_id")
        if not isinstance(msp_id, str) or not msp_id:
            raise WalletError(f"identity {label!r} has no MSP id in its metadata")
        key = self._decrypt(label, encrypted)
        try:
            public_key = x509.load_pem_x509_certificate(certificate).public_key()
        except ValueError as exc:
            raise WalletError(f"the certificate of identity {label!r} is not PEM X.509") from exc
        if public_key != key.public_key():
            raise WalletError(f"the certificate and key of identity {label!r} do not match")
        return WalletEntry(
            label=label,
            msp_id=msp_id,
            certificate=certificate,
            private_key=key,
            ca_chain=ca_chain,
        )

    def labels(self) -> list[str]:
        """Every stored label, sorted."""
        if not self.folder.is_dir():
            return []
        names = (p.name for p in self.folder.iterdir() if _LABEL.fullmatch(p.name))
        return sorted(name for name in names if self.exists(name))

    def exists(self, label: str) -> bool:
        _check_label(label)
        return (self.folder / label / _META).is_file()

    def remove(self, label: str) -> None:
        """Delete the identity stored as `label`; `WalletError` when there is none."""
        if not self.exists(label):
            raise WalletError(f"wallet {self.folder} has no identity labelled {label!r}")
        entry = self.folder / label
        (entry / _META).unlink()
        shutil.rmtree(entry)

    def _decrypt(self, label: str, encrypted: bytes) -> ec.EllipticCurvePrivateKey:
        try:
            key = serialization.load_pem_private_key(encrypted, password=self._passphrase)
        except (ValueError, TypeError) as exc:
            raise WalletError(
                f"cannot decrypt the key of identity {label!r}: "
                "wrong passphrase, or the key file is damaged"
            ) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise WalletError(f"identity {label!r} holds a {type(key).__name__}, not an EC key")
        return key


def _check_label(label: str) -> None:
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise ValueError(
            f"wallet label {label!r} is invalid: use up to 128 letters, digits, "
            "'.', '_', '@' or '-', not starting with '.', '_', '@' or '-'"
        )


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by the owner only."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
