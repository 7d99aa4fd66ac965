"""Two operators accept the same job at the same moment, in two threads with their own database connections, on
the real PostgreSQL server: exactly one wins, the other is told who has it. (On SQLite the same conditional UPDATE
is covered by test_services.test_conditional_update_lets_exactly_one_of_two_stale_accepts_win; SQLite serialises
writers, so threads prove nothing more there.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from apps.jobs import services
from apps.jobs.models import Job, JobEvent
from tests.factories.accounts import UserFactory
from tests.factories.jobs import job_on_line

# Runs in the suite's PostgreSQL pass; tests/conftest.py deselects it in the SQLite pass (a choice of pass, not a
# missing server: with DATABASE_URL=postgres://… an unreachable server fails at connection time).
pytestmark = [pytest.mark.services, pytest.mark.postgresql_only]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [5])
def test_two_threads_accepting_the_same_job_exactly_one_wins(line_a, rounds):
    ops = [UserFactory(username=f"racer{i}", role="operator", lines=[line_a]) for i in range(2)]
    for _ in range(rounds):
        job = job_on_line(line_a)
        barrier = threading.Barrier(2, timeout=20)
        results: dict[str, str] = {}

        def accept(user):
            try:
                stale = Job.objects.get(pk=job.pk)  # both read "assigned" before either writes
                barrier.wait()
                services.job_accept(job=stale, user=user)
                results[user.username] = "won"
            except services.JobTransitionError as exc:
                results[user.username] = " ".join(exc.messages)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=accept, args=(u,)) for u in ops]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        winners = [name for name, r in results.items() if r == "won"]
        assert len(winners) == 1, results
        loser = next(name for name in results if name != winners[0])
        assert results[loser] == f"{job.ref} was already accepted by {winners[0]}."
        job.refresh_from_db()
        assert job.accepted_by.username == winners[0]
        assert JobEvent.objects.filter(job=job, kind="accepted").count() == 1
