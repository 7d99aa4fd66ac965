"""Andon write path: raising calls (kiosk, PLC fault hand-off, long stops), their lifecycle, escalation ladders and
notification delivery. Every function here is the only way these rows change (shared/STYLE.md §1.2).

Exactly once (docs/andon.md): a periodic task asks the database what is due; each ladder level is claimed with a
compare-and-set UPDATE on the call (``ack_level``/``resolve_level``/``reminders_sent``); the notifications of a
claimed level are inserted under a unique (call, level, channel, recipient) key in the same transaction, and a
row is sent only by whoever claims it (``andon_notification_deliver``). Two beats, two workers, retries and a crash
between claim and send therefore never double-escalate and never skip a level.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.andon.choices import (
    DEFAULT_CATEGORIES, LIVE_STATUSES, PRIORITY_RANK, CallPriority, CallSource, CallStatus, Channel, EventKind,
    LadderKind, NotificationStatus,
)
from apps.andon.models import (
    AndonCall, AndonCallEvent, AndonCategory, AndonNotification, BeatHeartbeat, EscalationLevel, EscalationRule,
    NotificationPreference, PushSubscription, Webhook,
)
from apps.lines import live
from apps.lines.models import Equipment, FaultCode, Line

log = logging.getLogger(__name__)

LIVE_EVENT = "ms5:andon-changed"
MAX_ATTEMPTS = 5
SENDING_STALE_S = 600  # a row stuck in "sending" this long (worker crashed mid-send) is tried again


class AndonError(Exception):
    """A refused action, with a message fit for the person who tried it."""


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _event(call_id: int, kind: str, at: dt.datetime, *, user=None, level: int | None = None,
           detail: str = "") -> None:
    AndonCallEvent.objects.create(call_id=call_id, kind=kind, at=at, user=user, level=level, detail=detail[:300])


def _shift_of(line: Line, at: dt.datetime) -> tuple[str, str]:
    """(shift code, shift instance key) running on ``line`` at ``at``; memoised on the line object."""
    from apps.lines.shifts import shift_instance_at

    memo = line.__dict__.setdefault("_andon_shift_memo", {})
    if at not in memo:
        inst = shift_instance_at(line, at)
        memo[at] = (inst.shift_code, inst.key) if inst else ("", "")
    return memo[at]


def _changed(line_id: int) -> None:
    live.nudge_on_commit(line_id, LIVE_EVENT)


# --- configuration defaults -------------------------------------------------------------------------------------

@transaction.atomic
def andon_categories_ensure(*, line_id: int) -> list[AndonCategory]:
    """The line's kiosk categories, creating the five defaults the first time (idempotent; edits survive)."""
    existing = list(AndonCategory.objects.filter(line_id=line_id))
    if not existing:
        for position, (code, label, priority, role) in enumerate(DEFAULT_CATEGORIES):
            try:
                with transaction.atomic():
                    AndonCategory.objects.create(line_id=line_id, code=code, label=label,
                                                 default_priority=priority, responder_role=role, position=position)
            except IntegrityError:
                pass  # a concurrent caller created it
        existing = list(AndonCategory.objects.filter(line_id=line_id))
    return [c for c in existing if c.active]


# (kind, number, after_s, roles, on_shift, responder_role, channels)
DEFAULT_LEVELS = (
    (LadderKind.ACK, 1, 0, [], True, True, [Channel.IN_APP, Channel.WEBPUSH]),  # team lead: on shift + responders
    (LadderKind.ACK, 2, 300, ["shift_manager"], False, False, [Channel.IN_APP, Channel.EMAIL, Channel.WEBPUSH]),
    (LadderKind.ACK, 3, 900, ["production_manager"], False, False, [Channel.EMAIL, Channel.WEBPUSH, Channel.SMS]),
    (LadderKind.ACK, 4, 1800, ["admin"], False, False, [Channel.EMAIL, Channel.SMS, Channel.WEBHOOK]),
    (LadderKind.RESOLVE, 1, 3600, ["shift_manager"], False, False, [Channel.EMAIL, Channel.WEBPUSH]),
    (LadderKind.RESOLVE, 2, 7200, ["production_manager"], False, False, [Channel.EMAIL, Channel.SMS]),
)


@transaction.atomic
def andon_ladder_ensure_defaults(*, line_id: int) -> EscalationRule:
    """The line's catch-all ladder (any priority, any category), created with DEFAULT_LEVELS if missing."""
    rule = EscalationRule.objects.filter(line_id=line_id, priority="", category="").first()
    if rule is not None:
        return rule
    try:
        with transaction.atomic():
            rule = EscalationRule.objects.create(line_id=line_id)
            EscalationLevel.objects.bulk_create([
                EscalationLevel(rule=rule, kind=kind, number=number, after_s=after_s, roles=roles,
                                on_shift=on_shift, responder_role=responder, channels=[str(c) for c in channels])
                for kind, number, after_s, roles, on_shift, responder, channels in DEFAULT_LEVELS
            ])
    except IntegrityError:
        rule = EscalationRule.objects.get(line_id=line_id, priority="", category="")
    return rule


def rule_for_call(call: AndonCall, _cache: dict | None = None) -> EscalationRule:
    """The most specific active rule: line over global, then priority and category over blank."""
    key = (call.line_id, call.priority, call.category)
    if _cache is not None and key in _cache:
        return _cache[key]
    candidates = [
        r for r in EscalationRule.objects.filter(
            Q(line_id=call.line_id) | Q(line__isnull=True), active=True,
            priority__in=[call.priority, ""], category__in=[call.category, ""],
        ).prefetch_related("levels", "levels__users")
    ]
    if not candidates:  # a line nobody configured gets the default ladder, editable in the admin afterwards
        andon_ladder_ensure_defaults(line_id=call.line_id)
        candidates = list(EscalationRule.objects.filter(line_id=call.line_id, priority="", category="")
                          .prefetch_related("levels", "levels__users"))
    rule = max(candidates, key=lambda r: (r.line_id is not None, bool(r.priority), bool(r.category)))
    if _cache is not None:
        _cache[key] = rule
    return rule


# --- raising ------------------------------------------------------------------------------------------------------

def _open_or_repeat(*, line: Line, equipment_id: int | None, dedupe_key: str, at: dt.datetime, user=None,
                    create: dict) -> tuple[AndonCall, bool]:
    """One live call per equipment and reason: return (call, created). A repeat bumps the live call."""
    live_calls = AndonCall.objects.select_for_update().filter(
        line_id=line.pk, equipment_id=equipment_id, dedupe_key=dedupe_key, status__in=LIVE_STATUSES)
    call = live_calls.first()
    if call is None:
        shift_code, shift_key = _shift_of(line, at)
        try:
            with transaction.atomic():  # losing a race to another writer leaves our transaction usable
                call = AndonCall.objects.create(
                    line_id=line.pk, equipment_id=equipment_id, dedupe_key=dedupe_key, opened_at=at,
                    last_seen_at=at, raised_by=user, shift_code=shift_code, shift_key=shift_key, **create)
        except IntegrityError:
            call = live_calls.get()
        else:
            _event(call.pk, EventKind.RAISED, at, user=user, detail=call.title)
            _changed(line.pk)
            return call, True
    call.repeat_count += 1
    call.last_seen_at = max(call.last_seen_at, at)
    call.save(update_fields=["repeat_count", "last_seen_at"])
    _event(call.pk, EventKind.REPEATED, at, user=user, detail=f"raised again ({call.repeat_count})")
    _changed(line.pk)
    return call, False


@transaction.atomic
def andon_call_raise(*, line_id: int, category: str, user=None, equipment_id: int | None = None,
                     description: str = "", priority: str | None = None, now: dt.datetime | None = None) -> AndonCall:
    """Raise a call from the kiosk. A second press for the same equipment and category updates the live call."""
    at = _now(now)
    line = Line.objects.select_related("area__site").get(pk=line_id)
    cat = AndonCategory.objects.filter(line_id=line_id, code=category, active=True).first()
    if cat is None:
        raise AndonError(f"“{category}” is not an Andon category of {line.name}.")
    if priority and priority not in CallPriority.values:
        raise AndonError(f"“{priority}” is not a priority; use low, medium, high or critical.")
    if equipment_id is None:
        primary = Equipment.objects.filter(line_id=line_id).order_by("-is_primary", "position").first()
        equipment_id = primary.pk if primary else None
    elif not Equipment.objects.filter(pk=equipment_id, line_id=line_id).exists():
        raise AndonError("That machine is not on this line.")
    call, _ = _open_or_repeat(
        line=line, equipment_id=equipment_id, dedupe_key=f"manual:{cat.code}", at=at, user=user,
        create={"source": CallSource.MANUAL, "category": cat.code, "priority": priority or cat.default_priority,
                "title": f"{cat.label} — {line.name}"[:200], "description": description[:2000]})
    return call


@transaction.atomic
def andon_call_raise_for_fault(*, equipment_id: int, fault_code_id: int, raised_at: datetime) -> AndonCall:
    """Open an Andon call for a catalog fault with ``raises_andon``; if a live call for the same equipment and
    fault already exists, record the repeat on it instead (never a duplicate).

    Called by the OEE engine inside its ingest transaction when the fault's rising edge is seen.
    """
    fault = FaultCode.objects.select_related("equipment__line__area__site").get(pk=fault_code_id,
                                                                                 equipment_id=equipment_id)
    call, _ = _open_or_repeat(
        line=fault.equipment.line, equipment_id=equipment_id, dedupe_key=f"fault:{fault.pk}", at=raised_at,
        create={"source": CallSource.FAULT, "category": fault.category, "priority": fault.andon_priority,
                "title": f"{fault.equipment.code}: {fault.code} {fault.text}"[:200], "fault_code": fault})
    return call


@transaction.atomic
def andon_call_raise_for_long_stop(*, equipment_id: int, stop_started_at: dt.datetime,
                                   now: dt.datetime | None = None) -> AndonCall | None:
    """A long unplanned stop. Idempotent per stop: the live long-stop call of the machine is bumped only when a
    *new* stop (a later start) crosses the threshold while it is still open."""
    at = _now(now)
    equipment = Equipment.objects.select_related("line__area__site").get(pk=equipment_id)
    existing = AndonCall.objects.select_for_update().filter(
        equipment_id=equipment_id, dedupe_key="long_stop", status__in=LIVE_STATUSES).first()
    if existing is not None and existing.last_seen_at >= stop_started_at:
        return existing  # this stop already raised (or bumped) the call
    minutes = int((at - stop_started_at).total_seconds() // 60)
    # Opened (and the ladder's clock started) when the threshold was crossed; last_seen_at >= the stop's start
    # marks this stop as raised, so the next run leaves it alone.
    call, _ = _open_or_repeat(
        line=equipment.line, equipment_id=equipment_id, dedupe_key="long_stop", at=at,
        create={"source": CallSource.LONG_STOP, "category": "maintenance", "priority": CallPriority.HIGH,
                "title": f"{equipment.code}: stopped for {minutes} min"[:200]})
    return call


def andon_raise_long_stops(*, now: dt.datetime | None = None) -> list[int]:
    """Ask the OEE engine's downtime data which unplanned stops are open and longer than their line's
    ``long_stop_andon_s``, and raise (idempotently) a call for each. Returns the call ids."""
    from apps.downtime.models import DowntimeEvent

    at = _now(now)
    open_stops = (DowntimeEvent.objects.filter(end__isnull=True, equipment__line__active=True,
                                               equipment__line__long_stop_andon_s__gt=0)
                  .select_related("equipment__line").order_by("equipment_id", "-occurrence_start"))
    seen, ids = set(), []
    for stop in open_stops:
        if stop.equipment_id in seen:
            continue
        seen.add(stop.equipment_id)
        if (at - stop.occurrence_start).total_seconds() < stop.equipment.line.long_stop_andon_s:
            continue
        call = andon_call_raise_for_long_stop(equipment_id=stop.equipment_id, stop_started_at=stop.occurrence_start,
                                              now=at)
        if call is not None:
            ids.append(call.pk)
    return ids


# --- lifecycle ----------------------------------------------------------------------------------------------------

def _transition(call_id: int, *, allowed: tuple, to: str, verb: str, **fields) -> AndonCall:
    """Compare-and-set the status; a refused transition names the call's current state."""
    updated = AndonCall.objects.filter(pk=call_id, status__in=allowed).update(status=to, **fields)
    call = AndonCall.objects.select_related("line").get(pk=call_id)
    if not updated:
        raise AndonError(f"This call cannot be {verb}: it is already {call.get_status_display().lower()}.")
    return call


@transaction.atomic
def andon_call_acknowledge(*, call_id: int, user, now: dt.datetime | None = None) -> AndonCall:
    """open → acknowledged. Stops the acknowledge ladder and reminders; the resolve ladder continues."""
    at = _now(now)
    call = _transition(call_id, allowed=(CallStatus.OPEN,), to=CallStatus.ACKNOWLEDGED, verb="acknowledged",
                       acknowledged_at=at, acknowledged_by=user)
    _event(call.pk, EventKind.ACKNOWLEDGED, at, user=user)
    _changed(call.line_id)
    return call


@transaction.atomic
def andon_call_resolve(*, call_id: int, user, notes: str = "", root_cause: str = "",
                       now: dt.datetime | None = None) -> AndonCall:
    """open/acknowledged → resolved, with resolution notes and root cause. Resolving an unacknowledged call also
    records it as acknowledged at the same moment (someone answered it)."""
    at = _now(now)
    notes, root_cause = notes.strip(), root_cause.strip()
    if not notes:
        raise AndonError("Say what was done: resolution notes are required.")
    current = AndonCall.objects.filter(pk=call_id).values_list("acknowledged_at", flat=True).first()
    extra = {} if current else {"acknowledged_at": at, "acknowledged_by": user}
    call = _transition(call_id, allowed=LIVE_STATUSES, to=CallStatus.RESOLVED, verb="resolved", resolved_at=at,
                       resolved_by=user, resolution_notes=notes[:4000], root_cause=root_cause[:200], **extra)
    _event(call.pk, EventKind.RESOLVED, at, user=user, detail=root_cause or notes)
    _changed(call.line_id)
    return call


@transaction.atomic
def andon_call_cancel(*, call_id: int, user, reason: str = "", now: dt.datetime | None = None) -> AndonCall:
    """open/acknowledged → cancelled (raised by mistake, or no longer needed)."""
    at = _now(now)
    call = _transition(call_id, allowed=LIVE_STATUSES, to=CallStatus.CANCELLED, verb="cancelled",
                       cancelled_at=at, cancelled_by=user)
    _event(call.pk, EventKind.CANCELLED, at, user=user, detail=reason.strip())
    _changed(call.line_id)
    return call


@transaction.atomic
def andon_call_escalate(*, call_id: int, user, now: dt.datetime | None = None) -> AndonCall:
    """Manual escalation: fire the next level now (acknowledge ladder while open, resolve ladder afterwards).
    Claimed like an automatic level, so the beat will not fire it a second time."""
    at = _now(now)
    call = AndonCall.objects.select_related("line__area__site").get(pk=call_id)
    if call.status not in LIVE_STATUSES:
        raise AndonError(f"This call cannot be escalated: it is already {call.get_status_display().lower()}.")
    rule = rule_for_call(call)
    kind = LadderKind.ACK if call.status == CallStatus.OPEN else LadderKind.RESOLVE
    field = "ack_level" if kind == LadderKind.ACK else "resolve_level"
    done = getattr(call, field)
    level = next((lv for lv in rule.levels.all() if lv.kind == kind and lv.number == done + 1), None)
    if level is None:
        raise AndonError("This call is already at the top of its escalation ladder.")
    if not _claim(call.pk, field, done, done + 1, (call.status,)):
        raise AndonError("Someone escalated this call at the same moment; refresh to see its level.")
    setattr(call, field, done + 1)
    _notify_level(call, level, f"{kind}:{level.number}", at)
    _event(call.pk, EventKind.ESCALATED, at, user=user, level=level.number,
           detail=f"escalated by hand to {level.get_kind_display().lower()} level {level.number}")
    _changed(call.line_id)
    return call


# --- escalation ---------------------------------------------------------------------------------------------------

def _claim(call_id: int, field: str, old: int, new: int, statuses) -> bool:
    """Compare-and-set: only one process moves ``field`` from ``old`` to ``new``."""
    return AndonCall.objects.filter(pk=call_id, status__in=list(statuses), **{field: old}).update(**{field: new}) == 1


def _level_users(call: AndonCall, level: EscalationLevel, at: dt.datetime) -> list:
    from apps.accounts.access import can_access_line
    from apps.accounts.models import User

    users = {u.pk: u for u in level.users.all() if u.is_active}
    roles = list(level.roles or [])
    if level.responder_role and call.category:
        role = (AndonCategory.objects.filter(line_id=call.line_id, code=call.category)
                .values_list("responder_role", flat=True).first())
        if role:
            roles.append(role)
    if roles:
        users.update({u.pk: u for u in User.objects.filter(role__in=roles, is_active=True)})
    if level.on_shift:
        shift_code, _ = _shift_of(call.line, at)
        if shift_code:
            users.update({u.pk: u for u in User.objects.filter(default_shift=shift_code, is_active=True)})
    return [u for u in users.values() if can_access_line(u, call.line_id, "lines.view_line")]


def _targets(call: AndonCall, level: EscalationLevel, at: dt.datetime,
             channels: list[str]) -> list[tuple[str, str, int | None]]:
    """(channel, recipient key, user id) of everyone this level tells, after the users' own preferences."""
    users = _level_users(call, level, at) if set(channels) - {Channel.IN_APP, Channel.WEBHOOK} else []
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=users)}
    subs: dict[int, list[int]] = {}
    if Channel.WEBPUSH in channels:
        for sub_id, user_id in PushSubscription.objects.filter(user__in=users, active=True).values_list("pk",
                                                                                                       "user_id"):
            subs.setdefault(user_id, []).append(sub_id)
    rank = PRIORITY_RANK.get(call.priority, 1)
    targets: list[tuple[str, str, int | None]] = []
    for channel in channels:
        if channel == Channel.IN_APP:
            targets.append((channel, f"line:{call.line_id}", None))
        elif channel == Channel.WEBHOOK:
            for hook_id in Webhook.objects.filter(Q(line_id=call.line_id) | Q(line__isnull=True),
                                                  active=True).values_list("pk", flat=True):
                targets.append((channel, f"webhook:{hook_id}", None))
        else:
            for user in users:
                pref = prefs.get(user.pk)
                if pref and (not getattr(pref, channel) or rank < PRIORITY_RANK.get(pref.min_priority, 0)):
                    continue
                if channel == Channel.EMAIL and user.email:
                    targets.append((channel, f"user:{user.pk}", user.pk))
                elif channel == Channel.SMS and user.phone:
                    targets.append((channel, f"user:{user.pk}", user.pk))
                elif channel == Channel.WEBPUSH:
                    targets.extend((channel, f"push:{sub_id}", user.pk) for sub_id in subs.get(user.pk, []))
    return targets


def _notify_level(call: AndonCall, level: EscalationLevel, level_key: str, at: dt.datetime,
                  channels: list[str] | None = None, cache: dict | None = None) -> list[int]:
    """Record the level's notifications under their unique key and return the ids of the rows that are new.
    Runs inside the transaction that claimed the level. ``cache`` (one escalation pass) shares the recipient
    look-up between calls of the same line, level, category, priority and shift."""
    channels = [c for c in (channels if channels is not None else level.channels) if c in Channel.values]
    key = ("targets", level.pk, call.line_id, call.category, call.priority, tuple(channels),
           _shift_of(call.line, at)[0] if level.on_shift else "")
    if cache is not None and key in cache:
        targets = cache[key]
    else:
        targets = _targets(call, level, at, channels)
        if cache is not None:
            cache[key] = targets
    rows = [AndonNotification(call_id=call.pk, level_key=level_key, channel=channel, recipient=recipient,
                              user_id=user_id, next_attempt_at=at, created_at=at)
            for channel, recipient, user_id in targets]
    if not rows:
        return []
    try:
        # The level was claimed by us alone, so its rows are new: one INSERT. The unique key still guards it.
        with transaction.atomic():
            return [row.pk for row in AndonNotification.objects.bulk_create(rows)]
    except IntegrityError:
        pass
    new_ids = []
    for row in rows:  # some rows exist already (e.g. a level re-opened in the admin): keep only the new ones
        try:
            with transaction.atomic():
                row.pk = None
                row.save(force_insert=True)
        except IntegrityError:
            continue  # recorded before by someone else: they send it, we do not
        new_ids.append(row.pk)
    return new_ids


@dataclass
class EscalationResult:
    levels_fired: list[tuple[int, str]]
    notification_ids: list[int]


def andon_escalate_due(*, now: dt.datetime | None = None) -> EscalationResult:
    """Fire every due ladder level and reminder of every live call, in order, each exactly once.

    Each level is its own transaction: claim (compare-and-set), record notifications, timeline event. A crash
    leaves every level either wholly claimed with its rows recorded, or untouched for the next run.
    """
    at = _now(now)
    result = EscalationResult([], [])
    cache: dict = {}
    calls = AndonCall.objects.filter(status__in=LIVE_STATUSES, opened_at__lte=at).select_related("line__area__site")
    lines: dict[int, Line] = {}
    for call in calls:
        call.line = lines.setdefault(call.line_id, call.line)  # one line object per pass: shift memo shared
        try:
            _escalate_call(call, at, result, cache)
        except Exception:  # one broken call (or config) must not stop the others' escalation
            log.exception("andon: escalation of call %s failed", call.pk)
    return result


def _escalate_call(call: AndonCall, at: dt.datetime, result: EscalationResult, cache: dict) -> None:
    rule = rule_for_call(call, cache)
    age = (at - call.opened_at).total_seconds()
    levels = sorted(rule.levels.all(), key=lambda lv: (lv.kind, lv.number))
    for kind, field, statuses in ((LadderKind.ACK, "ack_level", (CallStatus.OPEN,)),
                                  (LadderKind.RESOLVE, "resolve_level", LIVE_STATUSES)):
        if call.status not in statuses:
            continue
        for level in (lv for lv in levels if lv.kind == kind):
            done = getattr(call, field)
            if level.number <= done:
                continue
            if level.number != done + 1 or age < level.after_s:
                break  # levels fire in order: never skip one, never fire one early
            with transaction.atomic():
                if not _claim(call.pk, field, done, done + 1, statuses):
                    return  # another process claimed it (or the call changed): it carries on from here
                setattr(call, field, done + 1)
                ids = _notify_level(call, level, f"{kind}:{level.number}", at, cache=cache)
                _event(call.pk, EventKind.ESCALATED, at, level=level.number,
                       detail=f"{level.get_kind_display().lower()} level {level.number}: {len(ids)} notification(s)")
                _changed(call.line_id)
            result.levels_fired.append((call.pk, f"{kind}:{level.number}"))
            result.notification_ids.extend(ids)
    if call.status == CallStatus.OPEN and rule.remind_every_s and call.ack_level >= 1:
        due = int(age // rule.remind_every_s)
        if due > call.reminders_sent:
            current = next((lv for lv in levels if lv.kind == LadderKind.ACK and lv.number == call.ack_level), None)
            with transaction.atomic():
                if not _claim(call.pk, "reminders_sent", call.reminders_sent, due, (CallStatus.OPEN,)):
                    return
                call.reminders_sent = due
                ids = []
                if current is not None:
                    # Reminders nag on the quiet channels only: no SMS or webhook per reminder.
                    quiet = [c for c in current.channels if c in (Channel.IN_APP, Channel.EMAIL, Channel.WEBPUSH)]
                    ids = _notify_level(call, current, f"remind:{due}", at, channels=quiet, cache=cache)
                _event(call.pk, EventKind.REMINDED, at, level=call.ack_level, detail=f"reminder {due}")
            result.levels_fired.append((call.pk, f"remind:{due}"))
            result.notification_ids.extend(ids)


# --- delivery -----------------------------------------------------------------------------------------------------

def backoff_s(attempts: int) -> int:
    """Seconds before retry number ``attempts`` (1-based): 30 s, 60 s, 2 min, 4 min… capped at 30 min."""
    return min(30 * 2 ** max(attempts - 1, 0), 1800)


def andon_notifications_due(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of rows waiting to be sent: new, due for a retry, or stuck in "sending" after a crash."""
    at = _now(now)
    return list(AndonNotification.objects.filter(
        status__in=[NotificationStatus.PENDING, NotificationStatus.RETRY, NotificationStatus.SENDING],
        next_attempt_at__lte=at).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def andon_notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> str | None:
    """Send one recorded notification if this process wins its claim; record the outcome. Never raises for a
    channel failure: it schedules a retry with backoff (gives up after MAX_ATTEMPTS) and returns the status.
    Returns None when another process owns the row or it is already done."""
    from apps.andon import senders

    at = _now(now)
    claimed = AndonNotification.objects.filter(
        pk=notification_id, next_attempt_at__lte=at,
        status__in=[NotificationStatus.PENDING, NotificationStatus.RETRY, NotificationStatus.SENDING],
    ).update(status=NotificationStatus.SENDING, attempts=F("attempts") + 1,
             next_attempt_at=at + dt.timedelta(seconds=SENDING_STALE_S))
    if not claimed:
        return None
    row = AndonNotification.objects.select_related("call__line", "user").get(pk=notification_id)
    try:
        outcome = senders.send(row)
    except Exception as exc:  # every channel failure is recorded, never propagated to the lifecycle
        return _record_failure(row, at, f"{type(exc).__name__}: {exc}")
    if outcome == "skipped":
        AndonNotification.objects.filter(pk=row.pk).update(status=NotificationStatus.SKIPPED,
                                                           last_error="channel not configured")
        return NotificationStatus.SKIPPED
    AndonNotification.objects.filter(pk=row.pk).update(status=NotificationStatus.SENT, sent_at=timezone.now(),
                                                       last_error="")
    return NotificationStatus.SENT


def _record_failure(row: AndonNotification, at: dt.datetime, error: str) -> str:
    attempts = row.attempts
    if attempts >= MAX_ATTEMPTS or error.startswith("Gone"):
        status, next_at = NotificationStatus.FAILED, at
    else:
        status, next_at = NotificationStatus.RETRY, at + dt.timedelta(seconds=backoff_s(attempts))
    with transaction.atomic():
        AndonNotification.objects.filter(pk=row.pk).update(status=status, next_attempt_at=next_at,
                                                           last_error=error[:300])
        _event(row.call_id, EventKind.NOTIFY_FAILED, at,
               detail=f"{row.get_channel_display()} to {row.recipient} failed (attempt {attempts}"
                      f"{', giving up' if status == NotificationStatus.FAILED else ''}): {error}")
    log.warning("andon: %s notification %s failed (attempt %s): %s", row.channel, row.pk, attempts, error)
    return status


# --- subscriptions, preferences, heartbeat ------------------------------------------------------------------------

@transaction.atomic
def push_subscription_save(*, user, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    if not endpoint.startswith(("https://", "http://")) or not p256dh or not auth:
        raise AndonError("A push subscription needs an endpoint URL and its p256dh and auth keys.")
    sub, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh[:200], "auth": auth[:100], "active": True})
    return sub


@transaction.atomic
def notification_preference_save(*, user, email: bool, webpush: bool, sms: bool,
                                 min_priority: str) -> NotificationPreference:
    if min_priority not in CallPriority.values:
        raise AndonError("Choose low, medium, high or critical as the lowest priority to be told about.")
    pref, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "webpush": webpush, "sms": sms, "min_priority": min_priority})
    return pref


def beat_heartbeat(*, name: str, now: dt.datetime | None = None) -> None:
    at = _now(now)
    if not BeatHeartbeat.objects.filter(name=name).update(last_run_at=at, runs=F("runs") + 1):
        try:
            with transaction.atomic():
                BeatHeartbeat.objects.create(name=name, last_run_at=at, runs=1)
        except IntegrityError:
            BeatHeartbeat.objects.filter(name=name).update(last_run_at=at, runs=F("runs") + 1)


@transaction.atomic
def vapid_key_ensure() -> "VapidKey":
    """The server's VAPID key pair, generated on first use and kept in the database (never in the repository)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    from apps.andon.models import VapidKey

    key = VapidKey.objects.order_by("pk").first()
    if key is not None:
        return key
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKey.objects.create(private_pem=pem, public_key=base64.urlsafe_b64encode(raw).rstrip(b"=").decode())
