"""Shared end-to-end fixtures: a real plant server (``manage.py run_plant``) on a free loopback port with its own
temporary SQLite database, helpers to act on it from separate processes (as the PLC worker or Celery would), and
headless Chromium through Playwright.

They are registered once for the whole suite by tests/conftest.py (one Chromium per test session, whichever
directory the browser test lives in; a second sync_playwright() in the same thread would fail):
- ``plant`` (module scope): a running ``PlantServer`` (web only: ``--no-plc --no-celery``); ``plant.seed`` holds
  the ids and session keys printed by tests/e2e/seed.py; ``plant.url(path)``, ``plant.ws_url(path)``.
- ``plant.run_python(code, forward=True)``: run Django code in a new process against the server's database;
  with ``forward=True`` the process gets ``MS5_LIVE_FORWARD_URL`` exactly as run_plant gives the PLC worker.
- ``plant.web_pid()`` / ``plant.wait_web_restarted(old_pid)``: the supervised daphne child.
- ``browser`` (session scope) and ``signed_in_page(persona)``: a Playwright page carrying that persona's session.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class PlantServer:
    """``manage.py run_plant`` in its own session, with its own var/ and SQLite database; stopped by PID."""

    def __init__(self, tmp: Path, *run_plant_args: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.args = list(run_plant_args)
        self.log_path = tmp / f"run_plant-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("REDIS_URL", "MS5_CHANNELS_BACKEND", "MS5_CELERY_BROKER_URL", "MS5_LIVE_FORWARD_URL",
                                 "MS5_CELERY_EAGER")}
        self.env.update({
            "MS5_VAR_DIR": str(tmp / "var"), "DATABASE_URL": f"sqlite:///{tmp}/plant.sqlite3",
            "MS5_SECRET_KEY": secrets.token_urlsafe(40), "MS5_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
        })
        self.process: subprocess.Popen | None = None
        self.seed: dict = {}

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def prepare(self) -> None:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env,
                       check=True, timeout=180)
        out = subprocess.run([sys.executable, "-m", "tests.e2e.seed"], cwd=ROOT, env=self.env, check=True,
                             timeout=120, capture_output=True, text=True).stdout
        self.seed = json.loads(out.strip().splitlines()[-1])

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_plant", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_serving()

    def wait_serving(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"run_plant exited early with {self.process.returncode}:\n{self.log()}")
            if port_open(self.port):
                return
            time.sleep(0.2)
        raise RuntimeError(f"run_plant did not serve on port {self.port} within {timeout} s:\n{self.log()}")

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode

    # -- inspection ------------------------------------------------------------------------------------------
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def child_pids(self, name: str) -> list[int]:
        return [int(pid) for pid in re.findall(rf"run_plant: started {name} \(pid (\d+)\)", self.log())]

    def web_pid(self) -> int:
        return self.child_pids("web")[-1]

    def wait_web_restarted(self, old_pid: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.child_pids("web")
            if pids and pids[-1] != old_pid and port_open(self.port):
                return pids[-1]
            time.sleep(0.2)
        raise AssertionError(f"web child was not restarted within {timeout} s:\n{self.log()}")

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def run_python(self, code: str, *, forward: bool = True, timeout: float = 60) -> str:
        """Run Django code in a separate process on the server's database, as the PLC worker or Celery would."""
        env = dict(self.env)
        if forward:
            env["MS5_LIVE_FORWARD_URL"] = self.url("/internal/live/")
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"plant-side code failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


@pytest.fixture(scope="module")
def plant_tmp():
    tmp = Path(tempfile.mkdtemp(prefix="ms5-e2e-"))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def plant(plant_tmp):
    server = PlantServer(plant_tmp, "--no-plc", "--no-celery")
    server.prepare()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        from tests.conftest import IN_CI

        (pytest.fail if IN_CI else pytest.skip)(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def signed_in_page(browser, plant):
    """signed_in_page("operator1") -> a Playwright page whose context carries that persona's session cookie."""
    contexts = []

    def make(persona: str):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "sessionid", "value": plant.seed["sessions"][persona],
                              "domain": "127.0.0.1", "path": "/"}])
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
