"""Real protocol peers on 127.0.0.1, started and stopped by PID (shared/PLC.md).

"PLC gone" = SIGKILL, "PLC hung" = SIGSTOP (always SIGCONT in finally), "PLC back" = start again on the same port.
Each peer writes to its own log file (never an unread pipe) and is waited for with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, step: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Peer:
    """One protocol peer process. ``start`` can be called again after ``kill`` to restart on the same port."""

    def __init__(self, name: str, tmp_path: Path, argv_for_port, ready: str, env=None):
        self.name = name
        self.tmp_path = tmp_path
        self.argv_for_port = argv_for_port
        self.ready = re.compile(ready)
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0

    def start(self, port: int | None = None, env: dict | None = None) -> Peer:
        self.starts += 1
        log_path = self.tmp_path / f"{self.name}-{self.starts}.log"
        environ = {**os.environ, **self.env, **(env or {}), "PYTHONUNBUFFERED": "1"}
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv_for_port(port if port is not None else self.port or 0),
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                         env=environ, cwd=str(HERE.parent.parent))
        match = wait_for(lambda: self.ready.search(log_path.read_text(errors="replace")) or self._died(log_path),
                         timeout=20, what=f"{self.name} to start")
        self.port = int(match.group(1))
        wait_for(self._accepts, timeout=5, what=f"{self.name} to accept connections")
        return self

    def _died(self, log_path):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited: {log_path.read_text(errors='replace')[-2000:]}")
        return None

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    @contextlib.contextmanager
    def hung(self):
        os.kill(self.proc.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


LOGIX_TAGS = ["Running=BOOL", "Speed=REAL", "GoodCount=DINT", "RejectCount=DINT", "Faults=DINT[2]"]


@pytest.fixture
def logix_peer(tmp_path):
    def argv(port):
        return [PY, "-u", str(HERE / "cpppo_peer.py"), "--no-config", "-U", "-a", f"127.0.0.1:{port}", "-A",
                *LOGIX_TAGS]

    peer = Peer("cpppo", tmp_path, argv, r"\('127\.0\.0\.1', (\d+)\)")
    yield peer
    peer.stop()


def logix_init(**values) -> dict:
    return {"CPPPO_INIT": json.dumps(values)}


@pytest.fixture
def slc_peer(tmp_path):
    state = {"init": []}

    def argv(port):
        return [PY, str(HERE / "slc_fake.py"), str(port), "N7=20", "B3=4", "F8=4", "--init", *state["init"]]

    peer = Peer("slc", tmp_path, argv, r"READY (\d+)")
    peer.init = state["init"]
    yield peer
    peer.stop()


@pytest.fixture
def s7_peer(tmp_path):
    state = {"init": "{}"}

    def argv(port):
        return [PY, str(HERE / "s7_peer.py"), str(port), state["init"]]

    peer = Peer("s7", tmp_path, argv, r"READY (\d+)")
    peer.state = state
    yield peer
    peer.stop()
