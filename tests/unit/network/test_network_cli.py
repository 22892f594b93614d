"""`python -m network` (`network/cli.py`, `network/modes.py`): modes acting as one org.

Only modes that touch nothing but an org's home run here (`init`, `ports`); the others
are checked for their arguments and for refusing to run without an org to act as.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest

from network.cli import main, parser
from network.home import OrgHome
from network.modes import MODES
from network.topology import UTILITY, new_community


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    """`main` sets the umask of the process (0077) as the tool does; put it back after."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.mark.parametrize("name", MODES)
def test_every_mode_has_help_and_takes_a_home_if_it_acts_as_one_org(name, capsys):
    with pytest.raises(SystemExit) as finished:
        parser().parse_args([name, "--help"])

    assert finished.value.code == 0
    text = capsys.readouterr().out
    assert MODES[name].help and MODES[name].description.endswith(".")
    assert ("--home" in text) == (MODES[name].per_org is not None)


@pytest.mark.parametrize("name", [n for n, m in MODES.items() if m.per_org and not m.local])
def test_a_mode_of_one_org_refuses_to_run_without_one(name, capsys):
    required = {"import-bundle": ["bundle.json"], "join-channel": ["genesis.block"]}
    extra = {
        "create-channel": ["--channel", "c", "--members", "utility"],
        "wait-channel": ["--channel", "c"],
        "revoke": ["--id", "household1"],
        "sign": ["p.json"],
        "submit": ["p.json"],
        "propose": ["admission"],
        "demo-step": ["register"],
    }

    assert main([name, *required.get(name, []), *extra.get(name, [])]) == 1

    assert capsys.readouterr().err == f"error: {name} acts as one org: give --org (or --home)\n"


def test_init_makes_a_founding_members_home_from_its_template(tmp_path):
    folder = tmp_path / "utility"

    assert main(["init", "--org", "utility", "--home", str(folder), "--host", "10.0.0.5"]) == 0

    home = OrgHome(folder)
    assert home.org == dataclasses.replace(UTILITY, host="10.0.0.5")
    assert home.status == "active"
    assert folder.stat().st_mode & 0o777 == 0o700


def test_init_makes_a_new_community_joining_at_the_port_block_given(tmp_path):
    folder = tmp_path / "river"
    argv = ["init", "--org", "river", "--home", str(folder), "--port-base", "12000"]

    assert main([*argv, "--msp-id", "RiverMSP", "--name", "River Power"]) == 0

    home = OrgHome(folder)
    expected = new_community("river", 12000, msp_id="RiverMSP", display_name="River Power")
    assert (home.org, home.status) == (expected, "joining")
    assert main(argv) == 0  # again: the home is there already, nothing changes
    assert home.org == expected


def test_a_new_community_needs_a_block_of_ports(tmp_path, capsys):
    assert main(["init", "--org", "river", "--home", str(tmp_path / "river")]) == 1

    assert capsys.readouterr().err == (
        "error: a new org needs --port-base: a free block of 1000 ports, e.g. 10000\n"
    )
    assert not (tmp_path / "river").exists()


def test_ports_lists_every_address_of_the_org(tmp_path, capsys):
    folder = tmp_path / "utility"
    main(["init", "--org", "utility", "--home", str(folder)])
    capsys.readouterr()

    assert main(["ports", "--home", str(folder)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines] == [
        [f"utility.{name}", address] for name, address in UTILITY.ports().items()
    ]
