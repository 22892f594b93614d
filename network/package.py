"""Chaincode-as-a-service packages, built byte-for-byte reproducibly.

A package id is the label plus the SHA-256 of the package file, so the same inputs
must always give the same bytes: entries sorted, mtimes and owners fixed, gzip
without a timestamp. The package holds only where the chaincode server listens and
the paths of the TLS files the peer uses to reach it; the external builder reads
those files at release time, so no key is ever inside a package.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A gzipped tar of `files` whose bytes depend only on names and contents."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    return gzip.compress(raw.getvalue(), mtime=0)


def connection(address: str, root_cert: str, client_cert: str, client_key: str) -> dict:
    """connection.json for our builder: mutual TLS, file references resolved at release."""
    return {
        "address": address,
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        "root_cert_file": root_cert,
        "client_cert_file": client_cert,
        "client_key_file": client_key,
    }


def ccaas_package(label: str, conn: dict) -> bytes:
    code = tar_gz({"connection.json": canonical_json(conn)})
    metadata = canonical_json({"type": "ccaas", "label": label})
    return tar_gz({"code.tar.gz": code, "metadata.json": metadata})


def package_id(label: str, package: bytes) -> str:
    return f"{label}:{hashlib.sha256(package).hexdigest()}"
