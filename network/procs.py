"""Start and stop an org's processes, each with a pid file and a log in the org's home.

`down` must stop exactly the org's processes and nothing else, so a pid file alone is
not trusted: before signalling, the pid's command line is checked against what was
started (a pid reused by an unrelated process is left alone). No command line holds a
secret: secrets reach a process through files in its org's home or its environment,
which only its owner can read.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from network.console import NetworkError, info
from network.topology import LOOPBACK


@dataclass(frozen=True)
class Process:
    """A named long-running process of one org, its pid file and log in `folder` (the home)."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    folder: Path

    @property
    def pid_file(self) -> Path:
        return self.folder / "pids" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "logs" / f"{self.name}.log"


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def owned_pid(pid_file: Path) -> int | None:
    """The pid in `pid_file` if that process is alive and is the one we started."""
    pid = read_pid(pid_file)
    if pid is None:
        return None
    expected = pid_file.with_suffix(".cmd")
    want = expected.read_text() if expected.exists() else ""
    line = cmdline(pid)
    if not line or (want and line.strip() != want.strip()):
        return None
    return pid


def log_tail(proc: Process, lines: int = 5) -> str:
    try:
        return "\n".join(proc.log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ProcessExited(NetworkError):
    """A process we started is gone: waiting longer for it cannot help."""


def ensure_alive(proc: Process) -> None:
    """Fail at once, with the end of its log, if a process we started has exited."""
    if owned_pid(proc.pid_file) is None:
        raise ProcessExited(f"{proc.name} exited; end of {proc.log_file}:\n{log_tail(proc)}")


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def start(proc: Process, ports: tuple[tuple[str, int], ...] = ()) -> int:
    """Start `proc` unless it already runs; refuse if one of its ports is taken."""
    running = owned_pid(proc.pid_file)
    if running:
        info(f"{proc.name} already running (pid {running})")
        return running
    busy = [f"{h}:{p}" for h, p in ports if port_in_use(p, h)]
    if busy:
        raise NetworkError(
            f"cannot start {proc.name}: port(s) {busy} already in use by another process; "
            "stop it (or `make down` in the checkout that owns it) and retry"
        )
    proc.pid_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    proc.log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pid = os.posix_spawn(
        proc.argv[0],
        list(proc.argv),
        {**proc.env},
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (
                os.POSIX_SPAWN_OPEN,
                1,
                str(proc.log_file),
                os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                0o600,
            ),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )
    proc.pid_file.write_text(f"{pid}\n")
    proc.pid_file.with_suffix(".cmd").write_text(" ".join(proc.argv) + " ")
    wait_for_exec(pid, proc.argv)
    return pid


def wait_for_exec(pid: int, argv: tuple[str, ...], timeout: float = 5.0) -> None:
    """Wait until the child runs `argv`: right after spawning, /proc still shows our own
    command line, and a pid that does not match its .cmd file is not trusted as ours."""
    want = " ".join(argv).strip()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cmdline(pid).strip() == want or zombie(pid):
            return
        time.sleep(0.005)


def stop_pid_file(pid_file: Path, timeout: float = 10.0) -> bool:
    """Stop the process a pid file names (TERM, then KILL); return whether one was stopped."""
    pid = owned_pid(pid_file)
    stopped = False
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and not zombie(pid):
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists() and not zombie(pid):
            os.kill(pid, signal.SIGKILL)
        reap(pid)
        stopped = True
    pid_file.unlink(missing_ok=True)
    pid_file.with_suffix(".cmd").unlink(missing_ok=True)
    return stopped


def reap(pid: int) -> None:
    """Collect the exit status if the process is our own child (it is not after a restart)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except (OSError, IndexError):
        return True


def stop_all(folder: Path) -> list[str]:
    """Stop every process of the home `folder`: the API first, chaincode servers, CA last."""
    order = {"api": 0, "chaincode": 1, "peer": 2, "orderer": 3, "ca": 4}
    pids = folder / "pids"
    found = sorted(pids.glob("*.pid")) if pids.is_dir() else []
    files = sorted(found, key=lambda p: order.get(p.stem.split("-")[0], 9))
    return [f.stem for f in files if stop_pid_file(f)]


def running(folder: Path) -> list[str]:
    """The names of the home's processes that are alive."""
    pids = folder / "pids"
    found = sorted(pids.glob("*.pid")) if pids.is_dir() else []
    return [p.stem for p in found if owned_pid(p)]


def wait_until(check, what: str, timeout: float, interval: float = 0.2):
    """Poll `check()` until it returns a truthy value; fail with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except ProcessExited:
            raise
        except Exception as exc:  # a poll that errors is retried until the deadline
            last_error = exc
        time.sleep(interval)
    detail = f" (last error: {last_error})" if last_error else ""
    raise NetworkError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
