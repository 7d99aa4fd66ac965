"""A real Celery worker and TWO beat processes (the mistake shared/RUNTIME.md reproduces) against Redis, on their
own database: each escalation level still notifies exactly once.

The subprocesses use the test's database: on PostgreSQL the test database itself; on SQLite a file under tmp
that receives a copy of the test database (sqlite3 backup API), since the test database may not be shareable.
Processes are started in their own session, stopped by PID, and every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.andon import services
from tests.andon.servers import SmtpSink
from tests.factories.accounts import UserFactory
from tests.factories.andon import EscalationLevelFactory, EscalationRuleFactory

pytestmark = [pytest.mark.slow, pytest.mark.services]

ROOT = Path(settings.BASE_DIR)


class WorkerDatabase:
    """Where the Celery processes read and write, and how the test reads their results back."""

    def __init__(self, tmp_path: Path) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            s = connection.settings_dict
            self.url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    def publish(self) -> None:
        """Make the test's committed rows visible to the subprocesses."""
        if self.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            target.close()

    def rows(self, sql: str) -> list[tuple]:
        if self.vendor == "sqlite":
            with sqlite3.connect(self.path, timeout=20) as conn:
                return conn.execute(sql).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "ms5", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the process group this test started (start_new_session)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def wait_until(predicate, timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs if log.exists())
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tails}")


@pytest.mark.django_db(transaction=True)
def test_two_beats_and_a_real_worker_notify_each_level_exactly_once(redis_url, line_a, tmp_path):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from ms5 import schedules

    lead = UserFactory(username="lead", role="maintenance", lines=[line_a], email="lead@plant.test")
    boss = UserFactory(username="boss", role="shift_manager", lines=[line_a], email="boss@plant.test")
    rule = EscalationRuleFactory(line=line_a, remind_every_s=0)
    EscalationLevelFactory(rule=rule, number=1, after_s=0, users=[lead], channels=["email"])
    EscalationLevelFactory(rule=rule, number=2, after_s=4, users=[boss], channels=["email"])
    services.andon_categories_ensure(line_id=line_a.pk)
    call = services.andon_call_raise(line_id=line_a.pk, category="maintenance", now=timezone.now())

    # The schedule as code defines it, then sped up to 1 s for the test (an admin edit, as an operator could).
    schedules.sync()
    task = PeriodicTask.objects.get(name="andon.escalate_due")
    assert (task.task, task.interval.every, task.expire_seconds) == ("andon.escalate_due", 15, 12)
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    task.expire_seconds = None
    task.save()

    db = WorkerDatabase(tmp_path)
    db.publish()
    queue = f"ms5-andon-test-{uuid.uuid4().hex[:12]}"
    logs = [tmp_path / "worker.log", tmp_path / "beat1.log", tmp_path / "beat2.log"]
    with SmtpSink() as sink:
        env = {**os.environ, "DATABASE_URL": db.url, "MS5_CELERY_BROKER_URL": redis_url, "MS5_CELERY_QUEUE": queue,
               "REDIS_URL": "", "MS5_EMAIL_HOST": "127.0.0.1", "MS5_EMAIL_PORT": str(sink.port),
               "MS5_VAR_DIR": str(tmp_path / "var"), "MS5_LOG_LEVEL": "INFO", "MS5_CELERY_EAGER": "false"}
        procs = []
        try:
            procs.append(start(["worker", "-Q", queue, "--concurrency=2", "--without-gossip", "--without-mingle",
                                "--without-heartbeat", "-n", f"{queue}@%h", "--loglevel=INFO"], env, logs[0]))
            for n in (1, 2):
                procs.append(start(["beat", "--loglevel=INFO", f"--pidfile={tmp_path / f'beat{n}.pid'}",
                                    f"--schedule={tmp_path / f'beat{n}.db'}"], env, logs[n]))
            wait_until(lambda: len(sink.messages) >= 2, 90, "both levels' e-mails", logs)
            # Let both beats keep firing for a while: nothing more may be sent.
            wait_until(lambda: all(log.read_text(errors="replace").count("Sending due task") >= 4
                                   for log in logs[1:]), 30, "both beats to send the task repeatedly", logs)
            time.sleep(2)
            assert all(p.poll() is None for p in procs), "a Celery process died"
        finally:
            for proc in procs:
                stop(proc)
            import redis

            redis.Redis.from_url(redis_url).delete(queue)

    recipients = sorted(rcpt for _, rcpts, _ in sink.messages for rcpt in rcpts)
    assert recipients == ["boss@plant.test", "lead@plant.test"]  # each level once, despite two beats
    rows = db.rows(f"SELECT level_key, channel, status, attempts FROM andon_andonnotification "
                   f"WHERE call_id = {call.pk} ORDER BY level_key")
    assert rows == [("ack:1", "email", "sent", 1), ("ack:2", "email", "sent", 1)]
    (levels,) = db.rows(f"SELECT ack_level FROM andon_andoncall WHERE id = {call.pk}")
    assert levels == (2,)
    escalations = db.rows(f"SELECT level FROM andon_andoncallevent WHERE call_id = {call.pk} AND kind = 'escalated' "
                          f"ORDER BY level")
    assert escalations == [(1,), (2,)]
    (runs,) = db.rows("SELECT runs FROM andon_beatheartbeat WHERE name = 'andon.escalate_due'")
    assert runs[0] >= 8  # two beats x several ticks reached the worker: the heartbeat proves they ran
