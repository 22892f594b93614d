"""An org's processes (`network/procs.py`): pid files and logs in its home, stopped exactly.

The processes are Python sleepers started in a temporary home, never a Fabric node.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from network.console import NetworkError
from network.procs import (
    Process,
    ProcessExited,
    ensure_alive,
    owned_pid,
    running,
    start,
    stop_all,
    stop_pid_file,
    wait_until,
    zombie,
)

SLEEP = (sys.executable, "-c", "import time; time.sleep(60)")


def sleeper(folder: Path, name: str = "sleeper") -> Process:
    return Process(name, SLEEP, {"PATH": os.environ["PATH"]}, folder)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A home folder whose processes are all stopped when the test ends."""
    folder = tmp_path / "home"
    yield folder
    stop_all(folder)


def test_a_process_keeps_its_pid_file_and_log_in_its_home(home):
    proc = sleeper(home)

    assert proc.pid_file == home / "pids" / "sleeper.pid"
    assert proc.log_file == home / "logs" / "sleeper.log"


def test_start_writes_a_pid_file_and_stop_ends_exactly_that_process(home):
    proc = sleeper(home)
    old = os.umask(0o022)
    try:
        pid = start(proc)
    finally:
        os.umask(old)

    assert owned_pid(proc.pid_file) == pid
    assert proc.log_file.stat().st_mode & 0o777 == 0o600
    assert start(proc) == pid  # already running: not started twice
    assert stop_pid_file(proc.pid_file)
    assert owned_pid(proc.pid_file) is None
    assert not proc.pid_file.exists()
    assert not proc.pid_file.with_suffix(".cmd").exists()


def test_a_pid_file_naming_someone_elses_process_is_not_trusted(home):
    proc = sleeper(home)
    proc.pid_file.parent.mkdir(parents=True)
    proc.pid_file.write_text(f"{os.getpid()}\n")
    proc.pid_file.with_suffix(".cmd").write_text("/usr/bin/some-other-program ")

    assert owned_pid(proc.pid_file) is None
    assert stop_pid_file(proc.pid_file) is False
    assert os.path.exists(f"/proc/{os.getpid()}")


def test_a_process_whose_port_is_taken_is_not_started(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = sleeper(home)

        with pytest.raises(NetworkError) as caught:
            start(proc, (("127.0.0.1", port),))

    assert str(caught.value) == (
        f"cannot start sleeper: port(s) ['127.0.0.1:{port}'] already in use by another "
        "process; stop it (or `make down` in the checkout that owns it) and retry"
    )
    assert not proc.pid_file.exists()


def test_stop_all_stops_the_homes_processes_api_first_ca_last(home, tmp_path):
    names = ["ca-utility", "orderer-utility", "peer-utility", "chaincode-community-utility"]
    for name in [*names, "api-utility"]:
        start(sleeper(home, name))
    neighbour = sleeper(tmp_path / "other-home", "peer-regulator")
    start(neighbour)
    try:
        assert sorted(running(home)) == sorted([*names, "api-utility"])

        assert stop_all(home) == ["api-utility", *reversed(names)]

        assert running(home) == []
        assert running(tmp_path / "other-home") == ["peer-regulator"]
    finally:
        stop_all(tmp_path / "other-home")


def test_an_empty_home_has_nothing_running_or_to_stop(home):
    assert (running(home), stop_all(home)) == ([], [])


def test_a_process_that_exited_is_reported_with_the_end_of_its_log(home):
    argv = (
        sys.executable,
        "-c",
        "print('one'); print('last words', flush=True); raise SystemExit(3)",
    )
    proc = Process("quitter", argv, {"PATH": os.environ["PATH"]}, home)
    pid = start(proc)
    deadline = time.monotonic() + 10
    while not zombie(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        with pytest.raises(ProcessExited) as caught:
            ensure_alive(proc)
        assert str(caught.value) == f"quitter exited; end of {proc.log_file}:\none\nlast words"

        def check() -> bool:
            ensure_alive(proc)
            return False

        started = time.monotonic()
        with pytest.raises(ProcessExited):
            wait_until(check, "the quitter", timeout=30)
        assert time.monotonic() - started < 5  # at once, not after the timeout
    finally:
        os.waitpid(pid, 0)


def test_waiting_in_vain_names_what_was_awaited_and_the_last_error():
    def failing() -> bool:
        raise OSError("connection refused")

    with pytest.raises(NetworkError) as caught:
        wait_until(failing, "the peer to answer", timeout=0.3, interval=0.05)
    assert str(caught.value) == (
        "timed out after 0s waiting for the peer to answer (last error: connection refused)"
    )

    with pytest.raises(NetworkError) as caught:
        wait_until(lambda: 0, "nothing", timeout=0.1, interval=0.05)
    assert str(caught.value) == "timed out after 0s waiting for nothing"


def test_waiting_returns_the_first_truthy_answer():
    answers = iter([None, 0, "ready", "later"])

    assert wait_until(lambda: next(answers), "an answer", timeout=5, interval=0.01) == "ready"
