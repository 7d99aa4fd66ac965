"""``manage.py run_plant``: the embedded default — one command that runs and supervises the whole plant.

Children (each in its own session, supervised by PID):
- ``web``: daphne serving ms5.asgi on --host/--port (HTTP and websockets);
- ``plc``: ``manage.py run_plc_worker`` (polls the PLCs and feeds the OEE engine);
- ``celery``: a Celery worker with an embedded beat (``-B``) on the broker from settings — the filesystem broker
  under var/ when REDIS_URL is unset, so there is no server to install.

A child that exits is restarted with exponential backoff (1 s doubling to 60 s; reset after a minute of good
running). SIGTERM or SIGINT stops every child (SIGTERM to it, then SIGKILL to its process group after a grace period).

Live updates: in the embedded default the channel layer is in-memory in the web process; the PLC worker and Celery
get ``MS5_LIVE_FORWARD_URL`` so their broadcasts are forwarded over loopback to it (ms5/layers.py).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 60.0
HEALTHY_AFTER_S = 60.0
STOP_GRACE_S = 10.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    backoff: float = BACKOFF_START_S
    log: list[str] = field(default_factory=list)


def _binds_loopback(host: str) -> bool:
    """Whether daphne bound to ``host`` is reachable on 127.0.0.1 (loopback or every interface)."""
    if host in ("localhost", "0.0.0.0", "::", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = "Run the plant on the embedded default: web server, PLC worker, Celery worker and beat, supervised."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address the web server binds to.")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-plc", action="store_true", help="Do not start the PLC worker.")
        parser.add_argument("--no-celery", action="store_true", help="Do not start Celery (worker and beat).")
        parser.add_argument("--celery-concurrency", type=int, default=int(os.environ.get("MS5_CELERY_CONCURRENCY", 2)))

    # -- building the children -------------------------------------------------------------------------------
    def _children(self, options) -> list[Child]:
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        host, port = options["host"], options["port"]
        base_env = dict(os.environ)
        base_env.pop("MS5_LIVE_FORWARD_URL", None)

        # A reconnect storm (every tablet rejoining after a restart) queues handshakes behind session look-ups:
        # give them 30 s instead of daphne's 5 s before a handshake is dropped.
        web_argv = [python, "-m", "daphne", "-b", host, "-p", str(port), "--websocket_connect_timeout", "30"]
        # The access log goes to a file: on the console it would drown the supervisor's own messages.
        log_dir = settings.VAR_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        web_argv += ["--access-log", str(log_dir / "access.log")]
        if not _binds_loopback(host):
            # Also listen on loopback, so the internal live-forward endpoint stays loopback-only.
            web_argv += ["-e", f"tcp:{port}:interface=127.0.0.1"]
        web_argv.append("ms5.asgi:application")
        children = [Child("web", web_argv, base_env)]

        worker_env = dict(base_env)
        if settings.CHANNEL_LAYERS["default"]["BACKEND"] == "ms5.layers.LoopbackChannelLayer":
            worker_env["MS5_LIVE_FORWARD_URL"] = f"http://127.0.0.1:{port}/internal/live/"

        if options["no_plc"]:
            self.stdout.write("run_plant: PLC worker disabled (--no-plc)")
        elif "run_plc_worker" not in get_commands():
            self.stderr.write(self.style.WARNING(
                "run_plant: PLC worker NOT started: `manage.py run_plc_worker` does not exist in this installation "
                "(plc_worker app missing or too old). The plant runs without live PLC data."))
        else:
            children.append(Child("plc", [python, manage, "run_plc_worker"], worker_env))

        if options["no_celery"]:
            self.stdout.write("run_plant: Celery disabled (--no-celery)")
        else:
            children.append(Child("celery", [
                python, "-m", "celery", "-A", "ms5", "worker", "-B", "--loglevel=INFO",
                f"--concurrency={max(1, options['celery_concurrency'])}", "--without-gossip", "--without-mingle",
                "-n", f"ms5-embedded-{port}@%h",
            ], worker_env))
        return children

    # -- supervision -----------------------------------------------------------------------------------------
    def _start(self, child: Child) -> None:
        try:
            child.process = subprocess.Popen(child.argv, env=child.env, cwd=str(settings.BASE_DIR),
                                             start_new_session=True)
        except OSError as exc:
            child.process = None
            self._schedule_restart(child, f"could not start ({exc})")
            return
        child.started_at = time.monotonic()
        self.stdout.write(f"run_plant: started {child.name} (pid {child.process.pid}): {' '.join(child.argv[1:])}")
        self.stdout.flush()

    def _schedule_restart(self, child: Child, why: str) -> None:
        now = time.monotonic()
        if child.started_at and now - child.started_at >= HEALTHY_AFTER_S:
            child.backoff = BACKOFF_START_S
        child.next_start = now + child.backoff
        self.stderr.write(self.style.WARNING(
            f"run_plant: {child.name} {why}; restarting in {child.backoff:.0f} s (restart #{child.restarts + 1})"))
        child.restarts += 1
        child.backoff = min(BACKOFF_MAX_S, child.backoff * 2)

    def _stop(self, children: list[Child]) -> None:
        running = [c for c in children if c.process and c.process.poll() is None]
        for child in running:
            self.stdout.write(f"run_plant: stopping {child.name} (pid {child.process.pid})")
            try:  # the child's own shutdown (Celery's warm shutdown stops its pool children itself)
                os.kill(child.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_GRACE_S
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"run_plant: {child.name} (pid {child.process.pid}) did not stop; killing it")
                try:
                    os.killpg(child.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.process.wait(timeout=5)
            try:  # anything the child left behind in its process group
                os.killpg(child.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def handle(self, *args, **options) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        children = self._children(options)
        stopping = {"signal": None}

        def on_signal(signum, _frame) -> None:
            stopping["signal"] = signum

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
        self.stdout.write(f"run_plant: serving http://{options['host']}:{options['port']}/ "
                          f"(channel layer {layer}, broker {settings.CELERY_BROKER_URL.split('://')[0]})")
        try:
            for child in children:
                self._start(child)
            while stopping["signal"] is None:
                now = time.monotonic()
                for child in children:
                    if child.process is not None:
                        code = child.process.poll()
                        if code is not None:
                            # A crashed parent (Celery's main process, say) can leave its forked pool and beat
                            # behind in its session: clear the whole group before starting a replacement.
                            try:
                                os.killpg(child.process.pid, signal.SIGKILL)
                            except (ProcessLookupError, PermissionError):
                                pass
                            child.process = None
                            self._schedule_restart(child, f"exited with code {code}")
                    elif now >= child.next_start:
                        self._start(child)
                time.sleep(0.25)
            self.stdout.write(f"run_plant: received {signal.Signals(stopping['signal']).name}; stopping")
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("run_plant: stopped")
