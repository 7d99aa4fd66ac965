"""Escalation ladders under a controlled clock: ``now`` is passed in, nothing sleeps."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.andon import services
from apps.andon.models import AndonCall, AndonCallEvent, AndonNotification, EscalationRule
from tests.factories.accounts import UserFactory
from tests.factories.andon import EscalationLevelFactory, EscalationRuleFactory
from tests.factories.lines import three_shift_pattern

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin: the early shift (E, 06–14)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def fired(result, *, reminders: bool = False) -> list[str]:
    """Level keys fired by a run; the default ladder also reminds every 2 min, left out unless asked for."""
    return [key for _, key in result.levels_fired if reminders or not key.startswith("remind:")]


@pytest.fixture
def call(line_a):
    services.andon_categories_ensure(line_id=line_a.pk)
    return services.andon_call_raise(line_id=line_a.pk, category="maintenance", now=T0)


def test_default_ladder_fires_each_level_at_its_time_and_only_once(call):
    assert fired(services.andon_escalate_due(now=at(0))) == ["ack:1"]  # team lead at once
    assert fired(services.andon_escalate_due(now=at(0))) == []
    assert fired(services.andon_escalate_due(now=at(4.99))) == []
    assert fired(services.andon_escalate_due(now=at(5))) == ["ack:2"]  # shift manager after 5 min
    assert fired(services.andon_escalate_due(now=at(14.9))) == []
    assert fired(services.andon_escalate_due(now=at(15))) == ["ack:3"]  # production manager after 15
    assert fired(services.andon_escalate_due(now=at(30))) == ["ack:4"]  # plant manager after 30
    assert fired(services.andon_escalate_due(now=at(59))) == []
    assert fired(services.andon_escalate_due(now=at(60))) == ["resolve:1"]
    call.refresh_from_db()
    assert (call.ack_level, call.resolve_level) == (4, 1)
    levels = list(AndonCallEvent.objects.filter(call=call, kind="escalated").values_list("level", flat=True))
    assert levels == [1, 2, 3, 4, 1]


def test_acknowledging_stops_the_ack_ladder_but_not_the_resolve_ladder(call, supervisor):
    services.andon_escalate_due(now=at(0))
    services.andon_call_acknowledge(call_id=call.pk, user=supervisor, now=at(3))
    assert fired(services.andon_escalate_due(now=at(45))) == []  # no ack levels 2–4 after acknowledging
    assert fired(services.andon_escalate_due(now=at(60))) == ["resolve:1"]
    assert fired(services.andon_escalate_due(now=at(120))) == ["resolve:2"]
    services.andon_call_resolve(call_id=call.pk, user=supervisor, notes="Replaced the belt", now=at(121))
    assert fired(services.andon_escalate_due(now=at(500))) == []


def test_a_late_run_fires_every_missed_level_in_order_never_skipping(call):
    """Beat was down for 31 minutes: all four acknowledge levels fire, in order, in one run."""
    assert fired(services.andon_escalate_due(now=at(31))) == ["ack:1", "ack:2", "ack:3", "ack:4"]


def test_a_level_claimed_elsewhere_is_not_fired_again(call):
    """Another process won the compare-and-set for level 1 (ack_level already 1): we carry on from level 2 only."""
    AndonCall.objects.filter(pk=call.pk).update(ack_level=1)
    assert fired(services.andon_escalate_due(now=at(6))) == ["ack:2"]
    assert not AndonNotification.objects.filter(call=call, level_key="ack:1").exists()


def test_recipients_named_users_roles_and_whoever_is_on_shift(line_a):
    three_shift_pattern(line_a)
    named = UserFactory(username="named", role="viewer", lines=[line_a])
    early = UserFactory(username="early", role="operator", lines=[line_a], default_shift="E")
    UserFactory(username="late", role="operator", lines=[line_a], default_shift="L")
    UserFactory(username="early-elsewhere", role="operator", default_shift="E")  # no access to line A
    sm = UserFactory(username="sm", role="shift_manager", lines=[line_a])
    UserFactory(username="sm-elsewhere", role="shift_manager")  # shift manager without line A
    rule = EscalationRuleFactory(line=line_a)
    EscalationLevelFactory(rule=rule, number=1, after_s=0, on_shift=True, users=[named], channels=["email"])
    EscalationLevelFactory(rule=rule, number=2, after_s=60, roles=["shift_manager"], channels=["email"])
    services.andon_categories_ensure(line_id=line_a.pk)
    call = services.andon_call_raise(line_id=line_a.pk, category="quality", now=T0)
    assert call.shift_code == "E"
    services.andon_escalate_due(now=at(2))

    def users_of(level_key):
        return set(AndonNotification.objects.filter(call=call, level_key=level_key)
                   .values_list("user__username", flat=True))

    assert users_of("ack:1") == {named.username, early.username}
    assert users_of("ack:2") == {sm.username}


def test_most_specific_rule_wins(line_a):
    services.andon_categories_ensure(line_id=line_a.pk)
    general = EscalationRuleFactory(line=line_a)
    EscalationLevelFactory(rule=general, number=1, after_s=600)
    specific = EscalationRuleFactory(line=line_a, priority="critical", category="safety")
    EscalationLevelFactory(rule=specific, number=1, after_s=0)
    safety = services.andon_call_raise(line_id=line_a.pk, category="safety", now=T0)  # default priority critical
    help_call = services.andon_call_raise(line_id=line_a.pk, category="help", now=T0)
    assert services.rule_for_call(safety) == specific
    assert services.rule_for_call(help_call) == general
    result = services.andon_escalate_due(now=at(1))
    assert result.levels_fired == [(safety.pk, "ack:1")]


def test_default_ladder_is_created_once_and_edits_survive(line_a):
    rule = services.andon_ladder_ensure_defaults(line_id=line_a.pk)
    level2 = rule.levels.get(kind="ack", number=2)
    level2.after_s = 120
    level2.save()
    again = services.andon_ladder_ensure_defaults(line_id=line_a.pk)
    assert again.pk == rule.pk and EscalationRule.objects.filter(line=line_a).count() == 1
    assert again.levels.get(kind="ack", number=2).after_s == 120
    assert again.levels.count() == len(services.DEFAULT_LEVELS)


def test_reminders_for_unacknowledged_calls_once_per_period(line_a):
    user = UserFactory(username="lead", role="maintenance", lines=[line_a])
    rule = EscalationRuleFactory(line=line_a, remind_every_s=120)
    EscalationLevelFactory(rule=rule, number=1, after_s=0, users=[user], channels=["email", "sms"])
    services.andon_categories_ensure(line_id=line_a.pk)
    call = services.andon_call_raise(line_id=line_a.pk, category="help", now=T0)
    assert fired(services.andon_escalate_due(now=at(0)), reminders=True) == ["ack:1"]
    assert fired(services.andon_escalate_due(now=at(1.9)), reminders=True) == []
    assert fired(services.andon_escalate_due(now=at(2)), reminders=True) == ["remind:1"]
    assert fired(services.andon_escalate_due(now=at(2.5)), reminders=True) == []
    # One reminder after a gap, not three.
    assert fired(services.andon_escalate_due(now=at(9)), reminders=True) == ["remind:4"]
    # Reminders use the quiet channels only: e-mail, not SMS.
    assert set(AndonNotification.objects.filter(call=call, level_key__startswith="remind")
               .values_list("channel", flat=True)) == {"email"}
    services.andon_call_acknowledge(call_id=call.pk, user=user, now=at(10))
    assert fired(services.andon_escalate_due(now=at(30)), reminders=True) == []


def test_manual_escalation_claims_the_next_level_so_beat_does_not_fire_it_again(call, supervisor):
    services.andon_escalate_due(now=at(0))
    services.andon_call_escalate(call_id=call.pk, user=supervisor, now=at(1))
    call.refresh_from_db()
    assert call.ack_level == 2
    assert fired(services.andon_escalate_due(now=at(5))) == []  # level 2 already fired by hand
    assert AndonCallEvent.objects.filter(call=call, kind="escalated", user=supervisor, level=2).exists()


def test_manual_escalation_at_the_top_is_refused(call, supervisor):
    services.andon_escalate_due(now=at(31))
    with pytest.raises(services.AndonError, match="top of its escalation ladder"):
        services.andon_call_escalate(call_id=call.pk, user=supervisor, now=at(32))
