"""The embedded default's supervisor: starts every part, restarts a crashed child, stops everything on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.e2e.fixtures import PlantServer, pid_alive, port_open

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float, what: str, server: PlantServer) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{server.log()}")


def test_run_plant_supervises_web_plc_and_celery(plant_tmp):
    from django.core.management import get_commands

    server = PlantServer(plant_tmp)  # everything on: web, PLC worker (if installed), Celery worker + beat
    server.prepare()
    server.start()
    try:
        wait_for(lambda: server.child_pids("celery"), 30, "celery to start", server)
        if "run_plc_worker" in get_commands():
            wait_for(lambda: server.child_pids("plc"), 30, "the PLC worker to start", server)
        else:
            assert "PLC worker NOT started: `manage.py run_plc_worker` does not exist" in server.log()
        assert "channel layer LoopbackChannelLayer, broker filesystem" in server.log()

        # A crashed web server is restarted (new PID, serving again).
        web = server.web_pid()
        os.kill(web, signal.SIGKILL)
        new_web = server.wait_web_restarted(web)
        assert new_web != web and "web exited with code -9; restarting in 1 s" in server.log()

        # So is a crashed Celery worker.
        celery = server.child_pids("celery")[-1]
        celery_group = [int(pid) for pid in subprocess.run(["pgrep", "-g", str(celery)], capture_output=True,
                                                            text=True).stdout.split()]
        os.kill(celery, signal.SIGKILL)
        wait_for(lambda: len(server.child_pids("celery")) == 2, 30, "celery to be restarted", server)
        # Its forked pool workers and beat went with it: nothing of the crashed worker is left running.
        assert len(celery_group) > 1, "celery worker -B should run a pool and a beat in its process group"
        for pid in celery_group:
            wait_for(lambda pid=pid: not pid_alive(pid), 10, f"crashed celery's process {pid} to be gone", server)

        children = [server.web_pid(), server.child_pids("celery")[-1]] + server.child_pids("plc")[-1:]
    finally:
        code = server.stop()
    assert code == 0, server.log()
    assert "run_plant: stopped" in server.log()
    for pid in children:
        wait_for(lambda pid=pid: not pid_alive(pid), 10, f"child {pid} to be gone", server)
    assert not port_open(server.port)
