"""network/builder/bin/{detect,build,release}, run as the peer runs them: executables."""

import json
import stat
import subprocess
from pathlib import Path

import pytest

BIN = Path(__file__).resolve().parents[3] / "network" / "builder" / "bin"
CA_PEM = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n"
KEY_PEM = "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n"


def run(step: str, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / step, *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )


def write_json(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


@pytest.fixture
def tls_files(tmp_path):
    files = {"root_cert": CA_PEM, "client_cert": CERT_PEM, "client_key": KEY_PEM}
    paths = {}
    for name, pem in files.items():
        paths[f"{name}_file"] = str(tmp_path / "tls" / f"{name}.pem")
        Path(paths[f"{name}_file"]).parent.mkdir(exist_ok=True)
        Path(paths[f"{name}_file"]).write_text(pem)
    return paths


def mutual_tls_connection(tls_files):
    return {
        "address": "consortium-cc.utility:9999",
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        **tls_files,
    }


@pytest.mark.parametrize("kind", ["ccaas", "CCaaS"])
def test_detect_claims_ccaas_packages(tmp_path, kind):
    write_json(tmp_path / "meta" / "metadata.json", {"type": kind, "label": "consortium_1.0"})

    result = run("detect", tmp_path / "src", tmp_path / "meta")

    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"type": "golang", "label": "x"}, 'chaincode type is "golang", not "ccaas"'),
        ({"label": "x"}, 'chaincode type is null, not "ccaas"'),
        (["ccaas"], 'chaincode type is null, not "ccaas"'),
    ],
)
def test_detect_declines_other_packages_with_one_line(tmp_path, metadata, reason):
    write_json(tmp_path / "meta" / "metadata.json", metadata)

    result = run("detect", tmp_path / "src", tmp_path / "meta")

    assert (result.returncode, result.stderr) == (1, f"detect: {reason}\n")


def test_detect_without_metadata(tmp_path):
    result = run("detect", tmp_path / "src", tmp_path / "meta")

    assert result.returncode == 1
    missing = tmp_path / "meta" / "metadata.json"
    assert result.stderr == f"detect: cannot read {missing}: No such file or directory\n"


def test_build_copies_connection_and_metadata(tmp_path, tls_files):
    source = tmp_path / "src"
    connection = write_json(source / "connection.json", mutual_tls_connection(tls_files))
    index = write_json(source / "metadata" / "statedb" / "couchdb" / "indexes" / "i.json", {})
    output = tmp_path / "out"

    result = run("build", source, tmp_path / "meta", output)

    assert (result.returncode, result.stderr) == (0, "")
    assert (output / "connection.json").read_bytes() == connection.read_bytes()
    copied = output / "metadata" / "statedb" / "couchdb" / "indexes" / "i.json"
    assert copied.read_bytes() == index.read_bytes()


def test_build_without_metadata_folder(tmp_path):
    write_json(tmp_path / "src" / "connection.json", {"address": "127.0.0.1:9999"})

    result = run("build", tmp_path / "src", tmp_path / "meta", tmp_path / "out")

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["connection.json"]


ADDRESS = {"address": "cc:9999"}
MTLS = {**ADDRESS, "tls_required": True, "client_auth_required": True}
DURATION = (
    'dial_timeout must be a duration string such as "10s", got {} '
    "(the peer reads a bare number as nanoseconds)"
)
REQUIRED = "{0}_file (or {0}) is required with TLS settings given"


@pytest.mark.parametrize(
    ("connection", "problem"),
    [
        ([], "must be a JSON object"),
        ({}, 'address must be "host:port", got null'),
        ({"address": "consortium-cc"}, 'address must be "host:port", got "consortium-cc"'),
        ({"address": "cc:0"}, 'address must be "host:port", got "cc:0"'),
        ({**ADDRESS, "tls_requried": True}, "unknown field 'tls_requried'"),
        ({**ADDRESS, "dial_timeout": 10}, DURATION.format("10")),
        ({**ADDRESS, "dial_timeout": "10 seconds"}, DURATION.format('"10 seconds"')),
        ({**ADDRESS, "tls_required": "yes"}, "tls_required must be true or false"),
        ({**ADDRESS, "tls_required": True}, REQUIRED.format("root_cert")),
        ({**ADDRESS, "client_auth_required": True}, "client_auth_required needs tls_required"),
        ({**MTLS, "root_cert": CA_PEM}, REQUIRED.format("client_cert")),
        (
            {**ADDRESS, "client_key": KEY_PEM},
            "client_key must not be inline; give client_key_file (a path on the peer)",
        ),
        (
            {**ADDRESS, "root_cert": CA_PEM, "root_cert_file": "/tls/ca.pem"},
            "give root_cert or root_cert_file, not both",
        ),
        ({**ADDRESS, "root_cert": "ca.pem"}, "root_cert must be a PEM string"),
        (
            {**ADDRESS, "root_cert_file": "tls/ca.pem"},
            'root_cert_file must be an absolute path, got "tls/ca.pem"',
        ),
    ],
)
def test_build_refuses_an_invalid_connection_with_a_clear_message(tmp_path, connection, problem):
    path = write_json(tmp_path / "src" / "connection.json", connection)

    result = run("build", tmp_path / "src", tmp_path / "meta", tmp_path / "out")

    assert (result.returncode, result.stderr) == (1, f"build: {path}: {problem}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read {path}: No such file or directory"), ("{", "{path} is not valid JSON")],
)
def test_build_without_a_readable_connection(tmp_path, content, message):
    path = tmp_path / "src" / "connection.json"
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)

    result = run("build", tmp_path / "src", tmp_path / "meta", tmp_path / "out")

    assert (result.returncode, result.stderr) == (1, f"build: {message.format(path=path)}\n")


def test_release_resolves_file_references_into_pem_contents(tmp_path, tls_files):
    write_json(tmp_path / "bld" / "connection.json", mutual_tls_connection(tls_files))

    result = run("release", tmp_path / "bld", tmp_path / "rel")

    assert (result.returncode, result.stderr) == (0, "")
    released = tmp_path / "rel" / "chaincode" / "server" / "connection.json"
    assert json.loads(released.read_text()) == {
        "address": "consortium-cc.utility:9999",
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        "root_cert": CA_PEM,
        "client_cert": CERT_PEM,
        "client_key": KEY_PEM,
    }
    assert stat.S_IMODE(released.stat().st_mode) == 0o600  # it holds the peer's client key


def test_release_keeps_inline_certificates_and_copies_statedb(tmp_path):
    connection = {**ADDRESS, "tls_required": True, "root_cert": CA_PEM}
    write_json(tmp_path / "bld" / "connection.json", connection)
    write_json(tmp_path / "bld" / "metadata" / "statedb" / "couchdb" / "indexes" / "i.json", {})

    result = run("release", tmp_path / "bld", tmp_path / "rel")

    assert result.returncode == 0, result.stderr
    released = tmp_path / "rel" / "chaincode" / "server" / "connection.json"
    assert json.loads(released.read_text()) == connection
    assert (tmp_path / "rel" / "statedb" / "couchdb" / "indexes" / "i.json").is_file()


def test_release_reports_a_missing_referenced_file(tmp_path, tls_files):
    missing = tmp_path / "tls" / "gone.key"
    connection = {**mutual_tls_connection(tls_files), "client_key_file": str(missing)}
    path = write_json(tmp_path / "bld" / "connection.json", connection)

    result = run("release", tmp_path / "bld", tmp_path / "rel")

    assert result.returncode == 1
    assert result.stderr == (
        f"release: {path}: client_key_file {missing}: No such file or directory\n"
    )
    assert not (tmp_path / "rel" / "chaincode").exists()


def test_release_refuses_a_referenced_file_that_is_not_pem(tmp_path, tls_files):
    (tmp_path / "junk").write_bytes(b"\xff\xfe not pem")
    connection = {**mutual_tls_connection(tls_files), "root_cert_file": str(tmp_path / "junk")}
    path = write_json(tmp_path / "bld" / "connection.json", connection)

    result = run("release", tmp_path / "bld", tmp_path / "rel")

    assert (result.returncode, result.stderr) == (
        1,
        f"release: {path}: root_cert_file {tmp_path / 'junk'} is not a PEM file\n",
    )


def test_build_then_release_keeps_keys_out_of_the_package(tmp_path, tls_files):
    write_json(tmp_path / "src" / "connection.json", mutual_tls_connection(tls_files))

    built = run("build", tmp_path / "src", tmp_path / "meta", tmp_path / "bld")
    released = run("release", tmp_path / "bld", tmp_path / "rel")

    assert (built.returncode, released.returncode) == (0, 0), built.stderr + released.stderr
    assert KEY_PEM not in (tmp_path / "src" / "connection.json").read_text()
    final = json.loads((tmp_path / "rel" / "chaincode" / "server" / "connection.json").read_text())
    assert final["client_key"] == KEY_PEM
    assert not [key for key in final if key.endswith("_file")]
