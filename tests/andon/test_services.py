"""Andon services: raising (kiosk, long stops), the lifecycle and its refusals, the timeline, crash safety of the
escalation steps, the schedule registry and the beat heartbeat check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.andon import services
from apps.andon.models import AndonCall, AndonCallEvent, AndonCategory, AndonNotification, BeatHeartbeat
from apps.downtime.models import DowntimeEvent
from tests.factories.accounts import UserFactory
from tests.factories.andon import EscalationLevelFactory, EscalationRuleFactory

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def categories(line_a):
    return services.andon_categories_ensure(line_id=line_a.pk)


def kinds(call) -> list[str]:
    return list(AndonCallEvent.objects.filter(call=call).order_by("at", "pk").values_list("kind", flat=True))


def test_default_categories_are_created_once_and_respect_edits(line_a):
    first = services.andon_categories_ensure(line_id=line_a.pk)
    assert [c.code for c in first] == ["maintenance", "quality", "material", "safety", "help"]
    AndonCategory.objects.filter(line=line_a, code="help").update(active=False)
    again = services.andon_categories_ensure(line_id=line_a.pk)
    assert [c.code for c in again] == ["maintenance", "quality", "material", "safety"]
    assert AndonCategory.objects.filter(line=line_a).count() == 5


def test_kiosk_raise_and_a_repeat_updates_the_live_call(line_a, categories, operator):
    call = services.andon_call_raise(line_id=line_a.pk, category="safety", user=operator, now=T0,
                                     description="Guard door open")
    assert (call.status, call.source, call.priority, call.category) == ("open", "manual", "critical", "safety")
    assert call.equipment.code == "LA.EQ1" and call.raised_by == operator  # the primary machine by default
    again = services.andon_call_raise(line_id=line_a.pk, category="safety", user=operator, now=at(1))
    assert again.pk == call.pk and AndonCall.objects.count() == 1
    again.refresh_from_db()
    assert again.repeat_count == 1 and again.last_seen_at == at(1)
    other = services.andon_call_raise(line_id=line_a.pk, category="quality", user=operator, now=at(1))
    assert other.pk != call.pk
    assert kinds(call) == ["raised", "repeated"]


def test_kiosk_raise_refuses_unknown_category_and_foreign_machine(line_a, line_b, categories):
    with pytest.raises(services.AndonError, match="not an Andon category"):
        services.andon_call_raise(line_id=line_a.pk, category="coffee", now=T0)
    with pytest.raises(services.AndonError, match="not on this line"):
        services.andon_call_raise(line_id=line_a.pk, category="help", equipment_id=line_b.equipment.first().pk,
                                  now=T0)
    assert AndonCall.objects.count() == 0


def test_lifecycle_open_acknowledged_resolved_with_timeline(line_a, categories, operator, supervisor):
    call = services.andon_call_raise(line_id=line_a.pk, category="maintenance", user=operator, now=T0)
    services.andon_call_acknowledge(call_id=call.pk, user=supervisor, now=at(2))
    done = services.andon_call_resolve(call_id=call.pk, user=supervisor, notes="Cleared the jam",
                                       root_cause="Worn guide rail", now=at(9))
    assert done.status == "resolved" and done.acknowledged_at == at(2) and done.resolved_at == at(9)
    assert (done.resolution_notes, done.root_cause, done.resolved_by) == ("Cleared the jam", "Worn guide rail",
                                                                          supervisor)
    assert kinds(call) == ["raised", "acknowledged", "resolved"]
    # The next press after resolution opens a new call.
    assert services.andon_call_raise(line_id=line_a.pk, category="maintenance", now=at(10)).pk != call.pk


@pytest.mark.parametrize("first, action, message", [
    ("acknowledge", "acknowledge", "cannot be acknowledged: it is already acknowledged"),
    ("resolve", "acknowledge", "cannot be acknowledged: it is already resolved"),
    ("resolve", "resolve", "cannot be resolved: it is already resolved"),
    ("cancel", "resolve", "cannot be resolved: it is already cancelled"),
    ("resolve", "cancel", "cannot be cancelled: it is already resolved"),
    ("cancel", "escalate", "cannot be escalated: it is already cancelled"),
])
def test_illegal_transitions_are_refused_with_a_clear_message(line_a, categories, supervisor, first, action, message):
    call = services.andon_call_raise(line_id=line_a.pk, category="help", now=T0)
    do = {
        "acknowledge": lambda: services.andon_call_acknowledge(call_id=call.pk, user=supervisor, now=at(1)),
        "resolve": lambda: services.andon_call_resolve(call_id=call.pk, user=supervisor, notes="done", now=at(1)),
        "cancel": lambda: services.andon_call_cancel(call_id=call.pk, user=supervisor, now=at(1)),
        "escalate": lambda: services.andon_call_escalate(call_id=call.pk, user=supervisor, now=at(1)),
    }
    do[first]()
    status = AndonCall.objects.get(pk=call.pk).status
    with pytest.raises(services.AndonError, match=message):
        do[action]()
    assert AndonCall.objects.get(pk=call.pk).status == status


def test_resolving_without_notes_is_refused(line_a, categories, supervisor):
    call = services.andon_call_raise(line_id=line_a.pk, category="help", now=T0)
    with pytest.raises(services.AndonError, match="resolution notes are required"):
        services.andon_call_resolve(call_id=call.pk, user=supervisor, notes="  ", now=at(1))


def test_resolving_an_unacknowledged_call_counts_as_answered_then(line_a, categories, supervisor):
    call = services.andon_call_raise(line_id=line_a.pk, category="help", now=T0)
    done = services.andon_call_resolve(call_id=call.pk, user=supervisor, notes="Done", now=at(4))
    assert done.acknowledged_at == at(4) and done.acknowledged_by == supervisor


def test_long_stop_raises_one_call_per_stop_after_the_threshold(line_a):
    line_a.long_stop_andon_s = 600
    line_a.save()
    machine = line_a.equipment.get()
    DowntimeEvent.objects.create(equipment=machine, start=T0, occurrence_start=T0)
    assert services.andon_raise_long_stops(now=at(9.9)) == []
    (call_id,) = services.andon_raise_long_stops(now=at(10))
    call = AndonCall.objects.get(pk=call_id)
    assert (call.source, call.priority, call.opened_at) == ("long_stop", "high", at(10))
    assert services.andon_raise_long_stops(now=at(11)) == [call_id]  # the same stop: no repeat counted
    call.refresh_from_db()
    assert call.repeat_count == 0
    # The stop ends and a new one starts while the call is still open: a repeat, not a second call.
    DowntimeEvent.objects.filter(equipment=machine).update(end=at(12))
    DowntimeEvent.objects.create(equipment=machine, start=at(20), occurrence_start=at(20))
    services.andon_raise_long_stops(now=at(31))
    call.refresh_from_db()
    assert call.repeat_count == 1 and AndonCall.objects.count() == 1


def test_long_stop_threshold_zero_means_never(line_a):
    line_a.long_stop_andon_s = 0
    line_a.save()
    DowntimeEvent.objects.create(equipment=line_a.equipment.get(), start=T0, occurrence_start=T0)
    assert services.andon_raise_long_stops(now=at(600)) == []


def _call_with_email_level(line, user):
    rule = EscalationRuleFactory(line=line)
    EscalationLevelFactory(rule=rule, number=1, after_s=0, users=[user], channels=["email"])
    services.andon_categories_ensure(line_id=line.pk)
    return services.andon_call_raise(line_id=line.pk, category="help", now=T0)


def test_a_crash_while_recording_a_level_rolls_the_claim_back_so_the_level_is_not_skipped(line_a, monkeypatch):
    user = UserFactory(username="lead", role="maintenance", lines=[line_a])
    call = _call_with_email_level(line_a, user)
    real = services._notify_level

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_notify_level", crash)
    assert services.andon_escalate_due(now=at(1)).levels_fired == []
    assert AndonCall.objects.get(pk=call.pk).ack_level == 0  # claim rolled back with the failed step
    monkeypatch.setattr(services, "_notify_level", real)
    assert services.andon_escalate_due(now=at(2)).levels_fired == [(call.pk, "ack:1")]
    assert AndonNotification.objects.filter(call=call).count() == 1


def test_a_crash_after_recording_is_delivered_by_the_next_sweep_once(line_a, monkeypatch):
    from apps.andon import senders

    user = UserFactory(username="lead", role="maintenance", lines=[line_a])
    call = _call_with_email_level(line_a, user)
    services.andon_escalate_due(now=at(1))  # claimed and recorded; the task died before delivering
    (nid,) = services.andon_notifications_due(now=at(1))
    sent = []
    monkeypatch.setitem(senders.SENDERS, "email", lambda row: sent.append(row.pk) or "sent")
    assert services.andon_notification_deliver(notification_id=nid, now=at(1.1)) == "sent"
    assert services.andon_notification_deliver(notification_id=nid, now=at(1.2)) is None
    assert services.andon_escalate_due(now=at(2)).levels_fired == []
    assert sent == [nid] and AndonCall.objects.get(pk=call.pk).ack_level == 1


def test_a_delivery_that_died_mid_send_is_retried_after_the_stale_period(line_a, monkeypatch):
    from apps.andon import senders

    user = UserFactory(username="lead", role="maintenance", lines=[line_a])
    _call_with_email_level(line_a, user)
    (nid,) = services.andon_escalate_due(now=at(1)).notification_ids
    AndonNotification.objects.filter(pk=nid).update(status="sending", attempts=1,
                                                    next_attempt_at=at(1) + dt.timedelta(seconds=600))
    monkeypatch.setitem(senders.SENDERS, "email", lambda row: "sent")
    assert services.andon_notification_deliver(notification_id=nid, now=at(5)) is None  # maybe still sending
    assert services.andon_notification_deliver(notification_id=nid, now=at(12)) == "sent"


def test_schedule_sync_is_idempotent_and_keeps_the_admin_toggle(db):
    from django_celery_beat.models import PeriodicTask

    from ms5 import schedules

    first = dict(schedules.sync())
    assert first["andon.escalate_due"] is True
    PeriodicTask.objects.filter(name="andon.escalate_due").update(enabled=False)
    second = dict(schedules.sync())
    assert second["andon.escalate_due"] is False
    task = PeriodicTask.objects.get(name="andon.escalate_due")
    assert (task.enabled, task.interval.every, task.interval.period, task.expire_seconds) == (
        False, 15, "seconds", 12)
    assert PeriodicTask.objects.filter(name="andon.escalate_due").count() == 1


def test_schedule_registry_refuses_expires_not_shorter_than_period():
    from ms5.schedules import Schedule

    with pytest.raises(ValueError, match="expires_s must be shorter"):
        Schedule(name="x", task="x", every_s=15, expires_s=15)


def test_setup_periodic_tasks_command(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("setup_periodic_tasks", stdout=out)
    call_command("setup_periodic_tasks", stdout=out)
    assert "created andon.escalate_due" in out.getvalue() and "updated andon.escalate_due" in out.getvalue()


def test_beat_health_check_is_required_only_when_beat_is_expected(db):
    from apps.andon.health import check_beat

    with override_settings(BEAT_EXPECTED=False):
        result = check_beat()
        assert (result.ok, result.required) == (False, False)
    with override_settings(BEAT_EXPECTED=True, BEAT_HEARTBEAT_MAX_AGE_S=90):
        assert check_beat().required is True and check_beat().ok is False
        services.beat_heartbeat(name="andon.escalate_due", now=timezone.now() - dt.timedelta(seconds=30))
        assert check_beat().ok is True
        BeatHeartbeat.objects.update(last_run_at=timezone.now() - dt.timedelta(seconds=200))
        result = check_beat()
        assert result.ok is False and "beat or worker stopped" in result.detail


def test_healthz_fails_naming_beat_when_expected_and_stale(client, db):
    with override_settings(BEAT_EXPECTED=True):
        response = client.get("/healthz")
    assert "beat" in response.json()["failing"]


def test_escalate_due_task_runs_the_whole_pass_and_hands_out_deliveries(line_a, monkeypatch):
    from apps.andon import tasks

    user = UserFactory(username="lead", role="maintenance", lines=[line_a])
    rule = EscalationRuleFactory(line=line_a)
    EscalationLevelFactory(rule=rule, number=1, after_s=0, users=[user], channels=["email"])
    services.andon_categories_ensure(line_id=line_a.pk)
    services.andon_call_raise(line_id=line_a.pk, category="help")
    queued = []
    monkeypatch.setattr(tasks.deliver_notification, "apply_async",
                        lambda args, expires: queued.append((args, expires)))
    summary = tasks.escalate_due.run()
    assert summary == {"levels": 1, "deliveries": 1} and queued[0][1] == 300
    assert BeatHeartbeat.objects.get(name="andon.escalate_due").runs == 1
