import asyncio
import socket

import grpc
import pytest
from ccfakes import tls_material
from ccpeer import PACKAGE_ID, FakePeer, serving

from chaincode.consortium import build_chaincode
from chaincode.runtime.server import ServerError, TLSConfig, main, start_server

ADDRESS = ["--address", "127.0.0.1:9999"]
CHAINCODE_ID = ["--chaincode-id", PACKAGE_ID]


def test_second_server_on_a_busy_port_fails_to_start():
    async def scenario():
        first = await start_server(
            build_chaincode(), chaincode_id=PACKAGE_ID, address="127.0.0.1:0"
        )
        try:
            second = await start_server(
                build_chaincode(), chaincode_id=PACKAGE_ID, address=f"127.0.0.1:{first.port}"
            )
        except ServerError as error:
            return first.port, str(error)
        else:
            await second.stop()  # never leave a grpc.aio server to the garbage collector
            return first.port, "a second server started on the same port"
        finally:
            await first.stop()

    port, message = asyncio.run(scenario())

    assert message == f"cannot listen on 127.0.0.1:{port}: is the port already in use?"


def test_inherited_shim_environment_is_ignored(monkeypatch):
    monkeypatch.setenv("CHAINCODE_ID", "other_1.0:" + "0" * 64)
    monkeypatch.setenv("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:1")
    monkeypatch.setenv("CORE_TLS_CLIENT_KEY_PATH", "/nonexistent/client.key")
    monkeypatch.setenv("CORE_TLS_CLIENT_CERT_PATH", "/nonexistent/client.crt")
    monkeypatch.setenv("CORE_PEER_TLS_ROOTCERT_FILE", "/nonexistent/ca.crt")

    async def scenario():
        async with serving(build_chaincode()) as target, FakePeer(target) as peer:
            return peer.registered_id

    assert asyncio.run(scenario()) == PACKAGE_ID


def test_mutual_tls_accepts_a_client_certificate_from_the_root_and_refuses_none():
    pki = tls_material()
    tls = TLSConfig(pki.server_cert, pki.server_key, client_root=pki.ca)
    with_cert = grpc.ssl_channel_credentials(pki.ca, pki.client_key, pki.client_cert)
    without_cert = grpc.ssl_channel_credentials(pki.ca)

    async def scenario():
        async with serving(build_chaincode(), tls=tls) as target:
            async with FakePeer(target, credentials=with_cert) as peer:
                registered = peer.registered_id
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                async with FakePeer(target, credentials=without_cert):
                    pass
        return registered, refused.value.code()

    assert asyncio.run(scenario()) == (PACKAGE_ID, grpc.StatusCode.UNAVAILABLE)


def test_tls_config_from_files(tmp_path):
    pki = tls_material()
    (tmp_path / "server.crt").write_bytes(pki.server_cert)
    (tmp_path / "server.key").write_bytes(pki.server_key)
    (tmp_path / "ca.crt").write_bytes(pki.ca)
    (tmp_path / "junk").write_text("not a certificate")

    tls = TLSConfig.from_files(
        tmp_path / "server.crt", tmp_path / "server.key", tmp_path / "ca.crt"
    )

    assert tls == TLSConfig(pki.server_cert, pki.server_key, pki.ca)
    with pytest.raises(ServerError, match=r"^--tls-key .*/junk is not a PEM file$"):
        TLSConfig.from_files(tmp_path / "server.crt", tmp_path / "junk")


TLS_REQUIRED = "--tls-cert and --tls-key are required (or --insecure for a local test)"
NOT_BOTH = "--insecure cannot be combined with --tls-cert, --tls-key or --tls-client-root"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*ADDRESS, "--insecure"], "the following arguments are required: --chaincode-id"),
        ([*CHAINCODE_ID, *ADDRESS], TLS_REQUIRED),
        ([*CHAINCODE_ID, *ADDRESS, "--tls-cert", "server.crt"], TLS_REQUIRED),
        ([*CHAINCODE_ID, *ADDRESS, "--insecure", "--tls-cert", "s.crt"], NOT_BOTH),
        (
            ["--chaincode-id", "consortium", *ADDRESS, "--insecure"],
            "argument --chaincode-id: 'consortium' is not a package id '<label>:<sha256 hex>'",
        ),
        (
            [*CHAINCODE_ID, "--address", "localhost", "--insecure"],
            "argument --address: 'localhost' is not host:port",
        ),
        (
            [*CHAINCODE_ID, "--address", "localhost:70000", "--insecure"],
            "argument --address: 'localhost:70000' is not host:port",
        ),
    ],
)
def test_bad_command_lines_exit_2_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(build_chaincode, argv, prog="cc")

    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"cc: error: {message}"


def test_help_names_every_flag(capsys):
    with pytest.raises(SystemExit) as exited:
        main(build_chaincode, ["--help"], prog="cc")

    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--chaincode-id", "--address", "--tls-cert", "--tls-key", "--tls-client-root"):
        assert flag in out


def test_invalid_log_level_exits_2(capsys, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_CC_LOG_LEVEL", "LOUD")

    with pytest.raises(SystemExit) as exited:
        main(build_chaincode, [*CHAINCODE_ID, *ADDRESS, "--insecure"], prog="cc")

    assert exited.value.code == 2
    assert "invalid GRIDLEDGER_CC_LOG_LEVEL entry 'LOUD'" in capsys.readouterr().err


def test_unreadable_tls_file_exits_1(tmp_path, capsys, restore_logging, monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    missing = tmp_path / "missing.crt"

    code = main(
        build_chaincode,
        [*CHAINCODE_ID, *ADDRESS, "--tls-cert", str(missing), "--tls-key", str(missing)],
    )

    assert code == 1
    assert f"cannot read --tls-cert {missing}: No such file or directory" in capsys.readouterr().err


def test_busy_port_exits_1(capsys, restore_logging, monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = main(
            build_chaincode, [*CHAINCODE_ID, "--address", f"127.0.0.1:{port}", "--insecure"]
        )

    assert code == 1
    assert (
        f"cannot listen on 127.0.0.1:{port}: is the port already in use?" in capsys.readouterr().err
    )
