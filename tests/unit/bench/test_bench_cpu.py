"""bench/cpu.py: CPU seconds from /proc, per process and per kind of process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bench import cpu
from network.home import OrgHome
from network.topology import REGULATOR, UTILITY


def burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def absent_pid() -> int:
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def test_by_kind_sums_each_kind_over_its_processes():
    before = Counter(
        {
            "peer-utility": 1.0,
            "peer-community": 2.0,
            "chaincode-community-utility": 0.5,
            "chaincode-community-community": 0.25,
            "orderer-orderer": 3.0,
            "client": 3.0,
        }
    )
    after = Counter(
        {
            "peer-utility": 1.5,
            "peer-community": 2.25,
            "chaincode-community-utility": 0.75,
            "chaincode-community-community": 1.25,
            "orderer-orderer": 3.1,
            "ca-utility": 0.2,  # started during the window: all of it counts
            "api": 0.0,
            "client": 3.333,
        }
    )
    assert cpu.by_kind(before, after) == {
        "peer": 0.75,
        "orderer": 0.1,
        "chaincode": 1.25,
        "ca": 0.2,
        "api": 0.0,
        "client": 0.33,
    }


def test_by_kind_ignores_a_process_whose_counter_went_down():
    # A process restarted during the window: its counter starts again from zero.
    before = Counter({"peer-utility": 5.0, "peer-community": 1.0})
    after = Counter({"peer-utility": 0.5, "peer-community": 1.5})
    assert cpu.by_kind(before, after) == {"peer": 0.5}


def test_by_kind_lists_only_the_kinds_seen_after_in_a_fixed_order():
    before = Counter({"peer-utility": 1.0, "orderer-orderer": 1.0})
    after = Counter({"client": 2.0, "chaincode-x-y": 1.0, "peer-utility": 1.0})
    spent = cpu.by_kind(before, after)
    assert list(spent) == ["peer", "chaincode", "client"]
    assert spent == {"peer": 0.0, "chaincode": 1.0, "client": 2.0}
    assert cpu.by_kind(Counter(), Counter()) == {}


def test_process_seconds_of_this_process_grows_with_the_cpu_it_burns():
    burn(0.05)
    first = cpu.process_seconds(os.getpid())
    assert first > 0
    burn(0.1)
    second = cpu.process_seconds(os.getpid())
    assert second >= first + 0.05
    # /proc and getrusage count the same time, to a few clock ticks.
    assert second == pytest.approx(cpu.own_seconds(), abs=0.1)


def test_process_seconds_of_a_process_that_does_not_exist_is_zero():
    assert cpu.process_seconds(absent_pid()) == 0.0


def test_process_seconds_reads_past_a_parenthesis_in_the_process_name():
    # /proc/<pid>/stat puts the name in parentheses: "123 (a) b (c) R ..."
    code = (
        "import ctypes, sys, time\n"
        "ctypes.CDLL(None).prctl(15, b'a) b (c', 0, 0, 0)\n"
        "end = time.process_time() + 0.1\n"
        "while time.process_time() < end: pass\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        assert "a) b (c" in Path(f"/proc/{child.pid}/stat").read_text()
        assert 0.05 <= cpu.process_seconds(child.pid) < 5
    finally:
        child.communicate("")


def test_snapshot_with_an_empty_run_folder_is_the_client_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))
    burn(0.02)
    seen = cpu.snapshot()
    assert set(seen) == {"client"}
    assert seen["client"] > 0
    OrgHome.of("utility").create(UTILITY)
    OrgHome.of("utility").pids.mkdir()
    assert set(cpu.snapshot()) == {"client"}


def test_snapshot_reads_every_live_process_of_every_home_with_a_pid_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))
    OrgHome.of("utility").create(UTILITY)
    OrgHome.of("regulator").create(REGULATOR)
    pids = OrgHome.of("utility").pids
    pids.mkdir()
    (OrgHome.of("regulator").pids).mkdir()
    (OrgHome.of("regulator").pids / "peer-regulator.pid").write_text(f"{os.getpid()}\n")
    (pids / "peer-utility.pid").write_text(f"{os.getpid()}\n")  # stands in for a peer
    (pids / "orderer-orderer.pid").write_text(f"{absent_pid()}\n")  # gone
    (pids / "api.pid").write_text(f"{os.getpid()}\n")
    (pids / "api.cmd").write_text("/usr/bin/not-this-process")  # pid reused: not trusted
    burn(0.02)
    seen = cpu.snapshot()
    assert set(seen) == {"peer-utility", "peer-regulator", "client"}
    assert seen["peer-utility"] > 0
    spent = cpu.by_kind(seen, cpu.snapshot())
    assert set(spent) == {"peer", "client"}


def test_during_counts_only_the_window_after_the_warm_up(monkeypatch):
    """CPU spent in the warm-up is left out; what is spent inside the window is counted."""
    import asyncio

    async def scenario() -> dict[str, float]:
        measuring = asyncio.create_task(cpu.during(0.2, 0.4))
        await asyncio.sleep(0)  # the measurement starts its warm-up now
        burn(0.15)  # in the warm-up
        await asyncio.sleep(0.1)  # the window opens meanwhile
        burn(0.2)  # inside the window
        return await measuring

    spent = asyncio.run(scenario())
    assert 0.2 <= spent["client"] < 0.3
