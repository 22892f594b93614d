"""The gridledger command-line tool against the real network, as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from community_fixtures import DAY, DAY_END, DAY_START, fresh_household, register
from cryptography.hazmat.primitives import serialization
from homes import home, secret

from network.scenario import day_readings
from network.topology import COMMUNITY, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "GRIDLEDGER_WALLET_PASSPHRASE": "correct horse battery staple"}

    def run(org: Org, *args: str) -> subprocess.CompletedProcess:
        """The tool as a person of `org`: with that org's connection profile."""
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from client.cli import main; raise SystemExit(main())",
                "--wallet",
                str(folder / "wallet"),
                "--profile",
                str(home(org).profile),
                "--community",
                "sunnyside",
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    for org, user in ((UTILITY, "headend1"), (UTILITY, "operator1"), (COMMUNITY, "household1")):
        enrolled = run(org, "enrol", "--id", user, f"--secret={secret(org, user)}")
        assert enrolled.returncode == 0, enrolled.stderr
        assert json.loads(enrolled.stdout)["label"] == f"{org.key}.{user}"
    return run, folder


def test_a_head_end_submits_a_days_readings_from_a_file_in_batches(cli):
    run, folder = cli
    household = fresh_household()
    register(household)
    readings = day_readings(household, DAY)
    (folder / "day.json").write_text(json.dumps(readings))
    (folder / "device.pem").write_bytes(
        household.device_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    submitted = run(
        UTILITY,
        "submit-readings",
        "--as",
        "utility.headend1",
        "--meter",
        household.meter_id,
        "--file",
        str(folder / "day.json"),
        "--device-key",
        str(folder / "device.pem"),
        "--batch-size",
        "48",
    )
    assert submitted.returncode == 0, submitted.stderr
    assert "batch 2/2: 48 stored, 0 already there" in submitted.stderr
    assert json.loads(submitted.stdout)["stored"] == 96

    shown = run(
        UTILITY,
        "readings",
        "--as",
        "utility.operator1",
        "--household",
        household.household_id,
        "--start",
        DAY_START,
        "--end",
        DAY_END,
    )
    assert shown.returncode == 0, shown.stderr
    assert [r["import_wh"] for r in json.loads(shown.stdout)] == [r["import_wh"] for r in readings]


def test_a_refused_command_exits_1_with_the_reason_and_sends_nothing(cli):
    run, _ = cli
    refused = run(
        COMMUNITY, "clear", "--as", "community.household1", "--interval", "2026-03-01T12:00:00Z"
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: caller from CommunityMSP (community) may not call ClearInterval; allowed: utility"
    )
    other = run(
        COMMUNITY,
        "readings",
        "--as",
        "community.household1",
        "--household",
        "h-002",
        "--start",
        DAY_START,
        "--end",
        DAY_END,
    )
    assert (other.returncode, other.stderr.strip()) == (
        1,
        "error: household h-001 may not read household h-002",
    )


def test_a_wrong_wallet_passphrase_is_a_clear_error(cli):
    _, folder = cli
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from client.cli import main; raise SystemExit(main())",
            "--wallet",
            str(folder / "wallet"),
            "--profile",
            str(home(COMMUNITY).profile),
            "readings",
            "--as",
            "community.household1",
            "--household",
            "h-001",
            "--start",
            DAY_START,
            "--end",
            DAY_END,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GRIDLEDGER_WALLET_PASSPHRASE": "wrong"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "passphrase" in result.stderr


def test_an_identity_of_another_org_needs_that_orgs_profile(cli):
    run, _ = cli
    result = run(
        UTILITY,
        "readings",
        "--as",
        "community.household1",
        "--household",
        "h-001",
        "--start",
        DAY_START,
        "--end",
        DAY_END,
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "error: community.household1 is an identity of community: "
        "give community's connection profile",
    )
