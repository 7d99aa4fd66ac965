"""Floor screens: thin views over selectors, every one behind the access choke-point (apps/accounts/access.py).

Each live panel is a template partial that the page renders, that the panel's own URL returns (hx-get on
resync, on a client trigger and on the 60 s safety poll), and that apps/lines/live.py pushes after commit.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.accounts import access
from apps.lines import selectors


def _render(request, line, template: str, context: dict, status: int = 200):
    """Render with the line's site time zone active: every time on a line's screens is the site's local time."""
    from django.utils import timezone

    with timezone.override(line.area.site.tz):
        return render(request, template, context, status=status)


@login_required
def overview(request):
    lines = selectors.overview_lines(user=request.user)
    return render(request, "lines/overview.html", {"lines": lines})


@login_required
def kiosk(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return _render(request, line, "lines/kiosk.html", {
        **selectors.line_board_context(line_id=line.pk),
        "can_operate": access.can_access_line(request.user, line.pk, "lines.operate_line")})


@login_required
def kiosk_hours(request, line_id: int):
    """The hour-by-hour board (target vs actual per hour): fetched on load, resync and every 60 s, never pushed
    (one OEE computation per hour of the shift)."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return _render(request, line, "lines/kiosk.html#hours", {**selectors.kiosk_hours_context(line=line),
                                                      "hours_loaded": True})


@login_required
def kiosk_tiles(request, line_id: int):
    """One pushed panel alone (``?panel=``, default the equipment tiles): what a kiosk re-fetches on resync and on
    its safety poll. The same partial live.py pushes."""
    from apps.lines.live import PUSHED_PARTIALS

    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    panel = request.GET.get("panel", "equipment-tiles")
    if panel not in PUSHED_PARTIALS:
        raise Http404("No such panel.")
    return _render(request, line, f"{PUSHED_PARTIALS[panel]}#{panel}",
                  {**selectors.line_tile_context(line_id=line.pk), "tile_loaded": True})


@login_required
def kiosk_stops(request, line_id: int):
    """The stops panel (uncoded stops and the reason picker): depends on the user, so fetched, never pushed."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    context = selectors.line_stops_context(line=line, user=request.user)
    return _render(request, line, "lines/kiosk.html#stops", {**context, "stops_loaded": True})


@login_required
@require_POST
def kiosk_stop_code(request, line_id: int):
    """Give a stop its reason from the kiosk; answers with the refreshed stops panel for instant feedback."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import get_object_or_404

    from apps.downtime.models import DowntimeEvent
    from apps.downtime.services import downtime_event_code

    line = access.access_line_by_id(request.user, line_id, "lines.code_downtime")
    error, status = "", 200
    try:
        event_id, reason_id = int(request.POST["event"]), int(request.POST["reason"])
    except (KeyError, ValueError):
        error, status = "Pick a stop and a reason.", 400
    else:
        event = get_object_or_404(DowntimeEvent, pk=event_id, equipment__line=line)
        try:
            downtime_event_code(event_id=event.pk, reason_id=reason_id, user=request.user,
                                supervisor=access.role_allows(request.user, "lines.edit_downtime"))
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
    context = selectors.line_stops_context(line=line, user=request.user)
    return _render(request, line, "lines/kiosk.html#stops", {**context, "error": error, "stops_loaded": True},
                   status=status)


@login_required
def engineering(request):
    if not access.role_allows(request.user, "lines.view_engineering"):
        raise Http404("No such page.")
    equipment = selectors.engineering_equipment(user=request.user)
    return render(request, "lines/engineering.html", {"equipment": equipment})


@login_required
def equipment_detail(request, equipment_id: int):
    """The engineer's screen of one machine: last-known values with quality and age, comms, faults, MTBF/MTTR."""
    from apps.lines.models import Equipment

    equipment = Equipment.objects.select_related("line__area__site").filter(pk=equipment_id).first()
    if equipment is None:
        raise Http404("No such equipment.")
    access.access_line_by_id(request.user, equipment.line_id, "lines.view_engineering")
    context = selectors.equipment_engineering(equipment=equipment)
    template = "lines/equipment.html#equipment-live" if request.GET.get("panel") == "live" else "lines/equipment.html"
    return _render(request, equipment.line, template, context)


# --- manager drill-down -------------------------------------------------------------------------------------------

def _span(request) -> str:
    return "day" if request.GET.get("span") == "day" else "shift"


def _drill_context(request, line, **extra) -> dict:
    window = selectors.line_window(line=line, span=_span(request))
    from apps.oee.selectors import line_oee

    figures = line_oee(line=line, start=window["start"], end=min(window["end"], window["now"]), as_of=window["now"],
                       with_events=False)
    return {
        "line": line, "window": window, "figures": figures, "rows": selectors._figure_rows(line, figures),
        "timeline": selectors.line_timeline(line=line, start=window["start"], end=window["end"], now=window["now"]),
        "pareto": selectors.downtime_pareto(figures=figures),
        "downtime": selectors.line_downtime_rows(line=line, start=window["start"], end=window["end"]),
        "categories": selectors.line_reasons(line=line),
        "can_edit": access.can_access_line(request.user, line.pk, "lines.edit_downtime"),
        "can_view_reports": access.can_access_line(request.user, line.pk, "lines.view_reports"),
        **extra,
    }


@login_required
def line_detail(request, line_id: int):
    """A manager's drill-down of one line: state timeline with the data-quality lane, OEE trend, Pareto, the
    downtime list (coding, split, merge) and the Andon KPIs."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    context = _drill_context(request, line)
    trend = selectors.oee_trend(line=line, now=context["window"]["now"])
    context["trend_groups"] = [("By hour", trend["hours"]), ("By shift", trend["shifts"]), ("By day", trend["days"])]
    return _render(request, line, "lines/line_detail.html", context)


@login_required
def line_detail_panel(request, line_id: int):
    """The live part of the drill-down (figures, timeline, Pareto, downtime list) alone: re-fetched on
    ``ms5:downtime-changed``, ``ms5:equipment-changed`` (throttled), resync and the safety poll."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return _render(request, line, "lines/line_detail.html#drill-live", _drill_context(request, line))


def _downtime_action(request, line_id: int, action):
    """Run one downtime service for an event of this line; answer with the refreshed live panel (400 + message on
    a refused edit)."""
    from django.core.exceptions import ValidationError

    from apps.downtime.models import DowntimeEvent

    line = access.access_line_by_id(request.user, line_id, "lines.edit_downtime")
    error, status = "", 200
    try:
        event = DowntimeEvent.objects.select_related("equipment__line__area__site").get(
            pk=int(request.POST.get("event", "")), equipment__line=line)
        action(event)
    except (ValueError, DowntimeEvent.DoesNotExist):
        error, status = "Pick a downtime event of this line.", 400
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 400
    return _render(request, line, "lines/line_detail.html#drill-live", _drill_context(request, line, error=error),
                   status=status)


@login_required
@require_POST
def downtime_code(request, line_id: int):
    from apps.downtime.services import downtime_event_code

    def act(event):
        try:
            reason_id = int(request.POST.get("reason", ""))
        except ValueError:
            from django.core.exceptions import ValidationError

            raise ValidationError("Pick a reason.") from None
        downtime_event_code(event_id=event.pk, reason_id=reason_id, user=request.user, supervisor=True)

    return _downtime_action(request, line_id, act)


@login_required
@require_POST
def downtime_split(request, line_id: int):
    from django.core.exceptions import ValidationError

    from apps.downtime.services import downtime_event_split

    def act(event):
        at = _parse_local_time(request.POST.get("at", ""), event)
        if at is None:
            raise ValidationError("Give the split time as HH:MM or HH:MM:SS.")
        downtime_event_split(event_id=event.pk, at=at, user=request.user)

    return _downtime_action(request, line_id, act)


@login_required
@require_POST
def downtime_merge(request, line_id: int):
    from django.core.exceptions import ValidationError

    from apps.downtime.services import downtime_event_merge

    def act(event):
        try:
            other = int(request.POST.get("other", ""))
        except ValueError:
            raise ValidationError("Pick the event to merge with.") from None
        from apps.downtime.models import DowntimeEvent

        if not DowntimeEvent.objects.filter(pk=other, equipment__line_id=event.equipment.line_id).exists():
            raise ValidationError("Pick two events of the same equipment.")
        downtime_event_merge(event_id=event.pk, other_id=other, user=request.user)

    return _downtime_action(request, line_id, act)


def _parse_local_time(raw: str, event):
    """``HH:MM[:SS]`` on the local day of the event's start (the site's time zone), as an aware datetime; the day
    after when that lands before the start (a stop across midnight)."""
    import datetime as dt

    try:
        parts = [int(p) for p in raw.strip().split(":")]
        clock = dt.time(*parts) if 2 <= len(parts) <= 3 else None
    except (ValueError, TypeError):
        return None
    if clock is None:
        return None
    tz = event.equipment.line.area.site.tz
    local_start = event.start.astimezone(tz)
    at = dt.datetime.combine(local_start.date(), clock, tzinfo=tz)
    if at < local_start.replace(microsecond=0):
        at += dt.timedelta(days=1)
    return at.astimezone(dt.timezone.utc)


@csrf_exempt
@require_POST
async def live_forward(request):
    """Internal: a live message forwarded over loopback by the PLC worker or Celery (ms5/layers.py).

    Refused unless it comes from a loopback address with a fresh signature derived from SECRET_KEY. Not part of
    the user-facing site: no session, no CSRF (the HMAC is the authentication).
    """
    from channels.layers import get_channel_layer

    from ms5.layers import SIGNATURE_HEADER, TIMESTAMP_HEADER, ForwardRejected, LoopbackChannelLayer, verify_forward

    layer = get_channel_layer()
    if not isinstance(layer, LoopbackChannelLayer) or layer.forwards:
        return HttpResponse("this process does not take forwarded live updates\n", status=404,
                            content_type="text/plain")
    try:
        group, message = verify_forward(
            remote_addr=request.META.get("REMOTE_ADDR"), body=request.body,
            timestamp=request.headers.get(TIMESTAMP_HEADER), signature=request.headers.get(SIGNATURE_HEADER),
        )
    except ForwardRejected as exc:
        return HttpResponse(f"refused: {exc}\n", status=exc.status, content_type="text/plain")
    await layer.deliver_local(group, message)
    return HttpResponse(status=204)
