import os
import sys

import pytest

from network.procs import Process, owned_pid, start, stop_pid_file


@pytest.fixture(autouse=True)
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))


def sleeper(tmp_path) -> Process:
    argv = (sys.executable, "-c", "import time; time.sleep(60)")
    return Process("sleeper", argv, {"PATH": os.environ["PATH"]})


def test_start_writes_a_pid_file_and_stop_ends_exactly_that_process(tmp_path):
    proc = sleeper(tmp_path)
    pid = start(proc)
    assert owned_pid(proc.pid_file) == pid
    assert start(proc) == pid  # already running: not started twice
    assert stop_pid_file(proc.pid_file)
    assert owned_pid(proc.pid_file) is None
    assert not proc.pid_file.exists()


def test_a_pid_file_naming_someone_elses_process_is_not_trusted(tmp_path):
    proc = sleeper(tmp_path)
    proc.pid_file.parent.mkdir(parents=True)
    proc.pid_file.write_text(f"{os.getpid()}\n")
    proc.pid_file.with_suffix(".cmd").write_text("/usr/bin/some-other-program ")
    assert owned_pid(proc.pid_file) is None
    assert stop_pid_file(proc.pid_file) is False
    assert os.path.exists(f"/proc/{os.getpid()}")
