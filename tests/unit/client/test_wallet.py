import json
import os
import stat
from pathlib import Path

import pytest
from client_fakes import make_certificate
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from client import Enrollment, FileWallet, WalletEntry, WalletError
from client.signing import digest

PASSPHRASE = b"correct horse battery staple"


def enrollment(common_name: str = "household-17") -> Enrollment:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = make_certificate(key, common_name)
    return Enrollment(certificate=certificate, private_key=key, ca_chain=b"CA CHAIN PEM\n")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "wallet"


@pytest.fixture
def wallet(folder: Path) -> FileWallet:
    return FileWallet(folder, PASSPHRASE)


def test_round_trip(wallet: FileWallet) -> None:
    stored = enrollment()
    wallet.put("household-17", "CommunityMSP", stored)

    entry = wallet.get("household-17")

    assert entry == WalletEntry(
        label="household-17",
        msp_id="CommunityMSP",
        certificate=stored.certificate,
        private_key=entry.private_key,
        ca_chain=b"CA CHAIN PEM\n",
    )
    assert entry.private_key.private_numbers() == stored.private_key.private_numbers()
    assert entry.identity().msp_id == "CommunityMSP"
    assert entry.identity().credentials == stored.certificate
    signature = entry.signer()(digest(b"proposal"))
    stored.private_key.public_key().verify(signature, b"proposal", ec.ECDSA(hashes.SHA256()))
    assert entry.enrollment().certificate == stored.certificate
    assert "private_key" not in repr(entry)


def test_a_second_wallet_object_reads_what_the_first_wrote(folder: Path) -> None:
    stored = enrollment()
    FileWallet(folder, PASSPHRASE).put("alice", "UtilityMSP", stored)
    assert FileWallet(str(folder), PASSPHRASE).get("alice").certificate == stored.certificate


def test_put_replaces_a_label(wallet: FileWallet) -> None:
    wallet.put("alice", "UtilityMSP", enrollment("old"))
    newer = enrollment("new")
    wallet.put("alice", "CommunityMSP", newer)
    entry = wallet.get("alice")
    assert (entry.msp_id, entry.certificate) == ("CommunityMSP", newer.certificate)
    assert sorted(p.name for p in (wallet.folder / "alice").iterdir()) == [
        "ca.pem",
        "cert.pem",
        "identity.json",
        "key.pem",
    ]


def test_labels_exists_and_remove(wallet: FileWallet) -> None:
    assert wallet.labels() == []
    for label in ("carol", "alice", "bob@sunnyside"):
        wallet.put(label, "CommunityMSP", enrollment(label))
    (wallet.folder / "half-written").mkdir()  # no metadata: not an identity

    assert wallet.labels() == ["alice", "bob@sunnyside", "carol"]
    assert wallet.exists("alice") and not wallet.exists("dave")

    wallet.remove("alice")
    assert wallet.labels() == ["bob@sunnyside", "carol"]
    assert not (wallet.folder / "alice").exists()
    with pytest.raises(WalletError, match="has no identity labelled 'alice'"):
        wallet.remove("alice")
    with pytest.raises(WalletError, match="has no identity labelled 'alice'"):
        wallet.get("alice")


def test_the_key_is_encrypted_at_rest(wallet: FileWallet) -> None:
    stored = enrollment()
    wallet.put("alice", "UtilityMSP", stored)

    on_disk = b"".join(p.read_bytes() for p in (wallet.folder / "alice").iterdir())
    key_file = (wallet.folder / "alice" / "key.pem").read_bytes()
    assert key_file.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for encoding, form in [
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8),
        (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8),
        (serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL),
        (serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL),
    ]:
        plain = stored.private_key.private_bytes(encoding, form, serialization.NoEncryption())
        assert plain not in on_disk
    scalar = stored.private_key.private_numbers().private_value.to_bytes(32, "big")
    assert scalar not in on_disk and scalar.hex().encode() not in on_disk
    with pytest.raises(TypeError):  # cryptography: "Password was not given but ..."
        serialization.load_pem_private_key(key_file, password=None)


def test_a_wrong_passphrase_is_a_wallet_error(folder: Path) -> None:
    FileWallet(folder, PASSPHRASE).put("alice", "UtilityMSP", enrollment())
    with pytest.raises(
        WalletError,
        match="cannot decrypt the key of identity 'alice': wrong passphrase, or the key file",
    ):
        FileWallet(folder, b"not the passphrase").get("alice")


def test_a_damaged_key_file_is_a_wallet_error(wallet: FileWallet) -> None:
    wallet.put("alice", "UtilityMSP", enrollment())
    key_file = wallet.folder / "alice" / "key.pem"
    key_file.write_bytes(
        key_file.read_bytes()[:100] + b"garbage\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    with pytest.raises(WalletError, match="cannot decrypt the key of identity 'alice'"):
        wallet.get("alice")


def test_a_certificate_that_does_not_match_the_key(wallet: FileWallet) -> None:
    wallet.put("alice", "UtilityMSP", enrollment())
    (wallet.folder / "alice" / "cert.pem").write_bytes(enrollment().certificate)
    with pytest.raises(WalletError, match="certificate and key of identity 'alice' do not match"):
        wallet.get("alice")


def test_damaged_metadata(wallet: FileWallet) -> None:
    wallet.put("alice", "UtilityMSP", enrollment())
    (wallet.folder / "alice" / "identity.json").write_text("{not json")
    with pytest.raises(WalletError, match=r"identity 'alice' in .* is damaged"):
        wallet.get("alice")
    (wallet.folder / "alice" / "identity.json").write_text(json.dumps({"version": 2}))
    with pytest.raises(WalletError, match="unreadable metadata"):
        wallet.get("alice")


def test_permissions(wallet: FileWallet, folder: Path) -> None:
    wallet.put("alice", "UtilityMSP", enrollment())

    assert mode(folder) == 0o700
    assert mode(folder / "alice") == 0o700
    files = sorted((folder / "alice").iterdir())
    assert [p.name for p in files] == ["ca.pem", "cert.pem", "identity.json", "key.pem"]
    assert all(mode(p) == 0o600 for p in files)


def test_permissions_ignore_a_permissive_umask(folder: Path) -> None:
    old = os.umask(0)
    try:
        FileWallet(folder, PASSPHRASE).put("alice", "UtilityMSP", enrollment())
    finally:
        os.umask(old)
    assert mode(folder) == 0o700 and mode(folder / "alice") == 0o700
    assert all(mode(p) == 0o600 for p in (folder / "alice").iterdir())


@pytest.mark.parametrize(
    "label",
    [
        "",
        ".",
        "..",
        "../escape",
        "a/b",
        "/etc/passwd",
        ".hidden",
        "-flag",
        "a b",
        "a\x00b",
        "x" * 129,
    ],
)
def test_labels_are_validated(wallet: FileWallet, label: str) -> None:
    for call in (
        lambda: wallet.put(label, "UtilityMSP", enrollment()),
        lambda: wallet.get(label),
        lambda: wallet.exists(label),
        lambda: wallet.remove(label),
    ):
        with pytest.raises(ValueError, match=r"wallet label .* is invalid"):
            call()
    assert not wallet.folder.exists() or wallet.labels() == []


def test_the_passphrase_must_be_bytes(folder: Path) -> None:
    with pytest.raises(ValueError, match="passphrase must be non-empty bytes"):
        FileWallet(folder, b"")
    with pytest.raises(ValueError, match="passphrase must be non-empty bytes"):
        FileWallet(folder, "text")  # type: ignore[arg-type]
