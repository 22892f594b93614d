import gzip
import hashlib
import io
import json
import tarfile

from network.package import ccaas_package, connection, package_id, tar_gz

CONN = connection("127.0.0.1:7100", "/r/ca.pem", "/r/cert.pem", "/r/key.pem")


def members(blob: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def read(blob: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        return tar.extractfile(name).read()


def test_packages_are_byte_for_byte_reproducible():
    assert ccaas_package("consortium_1.0", CONN) == ccaas_package("consortium_1.0", CONN)
    assert tar_gz({"b": b"2", "a": b"1"}) == tar_gz({"a": b"1", "b": b"2"})


def test_gzip_and_tar_carry_no_timestamps_or_owners():
    blob = ccaas_package("consortium_1.0", CONN)
    assert gzip.decompress(blob)  # valid gzip
    assert blob[4:8] == b"\0\0\0\0"  # gzip header mtime
    for info in members(blob).values():
        assert (info.mtime, info.uid, info.gid, info.uname, info.gname) == (0, 0, 0, "", "")


def test_package_layout_is_what_the_ccaas_builder_expects():
    blob = ccaas_package("consortium_1.0", CONN)
    assert sorted(members(blob)) == ["code.tar.gz", "metadata.json"]
    assert json.loads(read(blob, "metadata.json")) == {"type": "ccaas", "label": "consortium_1.0"}
    code = read(blob, "code.tar.gz")
    conn = json.loads(read(code, "connection.json"))
    assert conn["address"] == "127.0.0.1:7100"
    assert conn["tls_required"] and conn["client_auth_required"]
    assert "client_key" not in conn and conn["client_key_file"] == "/r/key.pem"


def test_package_id_is_label_and_sha256_of_the_package():
    blob = ccaas_package("consortium_1.0", CONN)
    assert package_id("consortium_1.0", blob) == (
        "consortium_1.0:" + hashlib.sha256(blob).hexdigest()
    )
    other = ccaas_package("consortium_1.0", {**CONN, "address": "127.0.0.1:8100"})
    assert package_id("consortium_1.0", other) != package_id("consortium_1.0", blob)
