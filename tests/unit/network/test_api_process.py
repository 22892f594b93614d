"""The process an org's API runs as (`network.api_server.process`): no secret in sight.

A command line is readable by every user of the machine (`ps`), and an environment is
handed down to every child process and lands in crash reports, so neither carries a
secret: the API gets paths to files in its home's 0600 secrets, and the API's own
settings loader reads them from there.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from network_builders import home_of

from api.settings import load
from network.api_server import process
from network.topology import UTILITY

SECRET_FILES = {
    "GRIDLEDGER_WALLET_PASSPHRASE_FILE": "api-wallet-passphrase",
    "GRIDLEDGER_API_SECRET_FILE": "api-token-key",
}


@pytest.fixture
def home(tmp_path):
    home = home_of(tmp_path, dataclasses.replace(UTILITY, host="10.0.0.5"))
    for name in ("ca-registrar", "enrollment-admin", "enrollment-billing1"):
        home.secret(name)  # the home's other secrets, which must not leak either
    return home


def secrets_of(home) -> dict[str, str]:
    return {p.name: p.read_text().strip() for p in home.secrets.iterdir()}


def test_the_api_runs_as_the_org_with_its_address_on_the_command_line(home):
    proc = process(home)

    assert proc.argv[1:] == ("-m", "api", "--host", "10.0.0.5", "--port", "7800")
    assert (proc.name, proc.folder) == ("api-utility", home.path)
    assert proc.env["GRIDLEDGER_CONNECTION_PROFILE"] == str(home.profile)
    assert proc.env["GRIDLEDGER_API_DIR"] == str(home.api)
    assert proc.env["HOME"] == str(home.path)


def test_no_secret_value_is_in_the_command_line_or_the_environment(home):
    proc = process(home)
    secrets = secrets_of(home)

    assert set(SECRET_FILES.values()) <= set(secrets)
    for value in secrets.values():
        assert not any(value in part for part in proc.argv)
        assert not any(value in setting for setting in proc.env.values())
    assert "GRIDLEDGER_WALLET_PASSPHRASE" not in proc.env
    assert "GRIDLEDGER_API_SECRET" not in proc.env


@pytest.mark.parametrize(("variable", "name"), SECRET_FILES.items())
def test_each_secret_reaches_the_api_as_a_path_to_a_private_file(home, variable, name):
    path = Path(process(home).env[variable])

    assert path == home.secret_file(name)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.read_text().strip() == home.secret(name)


def test_every_value_the_api_is_given_is_a_path_or_a_plain_setting(home):
    env = process(home).env

    for variable, value in env.items():
        if variable.endswith(("_FILE", "_DIR", "_PROFILE", "_CERT", "_KEY")) or variable == "HOME":
            assert Path(value).is_absolute(), variable
    assert set(env) == {
        "PATH",
        "HOME",
        "PYTHONPATH",
        "GRIDLEDGER_CONNECTION_PROFILE",
        "GRIDLEDGER_API_DIR",
        "GRIDLEDGER_WALLET_PASSPHRASE_FILE",
        "GRIDLEDGER_API_SECRET_FILE",
        "GRIDLEDGER_API_TLS_CERT",
        "GRIDLEDGER_API_TLS_KEY",
    }


def test_the_api_reads_its_secrets_from_the_files_it_is_given(home, monkeypatch):
    for variable in list(os.environ):
        if variable.startswith("GRIDLEDGER_"):
            monkeypatch.delenv(variable)
    for variable, value in process(home).env.items():
        monkeypatch.setenv(variable, value)

    config = load(None)

    assert config["WALLET_PASSPHRASE"] == home.secret("api-wallet-passphrase")
    assert config["SECRET_KEY"] == home.secret("api-token-key")
    assert config["PROFILE"] == home.profile
    assert config["TLS_KEY"] == home.identity_tls("api") / "key.pem"
