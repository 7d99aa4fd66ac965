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


@login_required
def overview(request):
    lines = selectors.overview_lines(user=request.user)
    return render(request, "lines/overview.html", {"lines": lines})


@login_required
def kiosk(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return render(request, "lines/kiosk.html", selectors.line_board_context(line_id=line.pk))


@login_required
def kiosk_tiles(request, line_id: int):
    """One pushed panel alone (``?panel=``, default the equipment tiles): what a kiosk re-fetches on resync and on
    its safety poll. The same partial live.py pushes."""
    from apps.lines.live import PUSHED_PARTIALS

    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    panel = request.GET.get("panel", "equipment-tiles")
    if panel not in PUSHED_PARTIALS:
        raise Http404("No such panel.")
    return render(request, f"{PUSHED_PARTIALS[panel]}#{panel}",
                  {**selectors.line_tile_context(line_id=line.pk), "tile_loaded": True})


@login_required
def kiosk_stops(request, line_id: int):
    """The stops panel (uncoded stops and the reason picker): depends on the user, so fetched, never pushed."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    context = selectors.line_stops_context(line=line, user=request.user)
    return render(request, "lines/kiosk.html#stops", {**context, "stops_loaded": True})


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
    return render(request, "lines/kiosk.html#stops", {**context, "error": error, "stops_loaded": True}, status=status)


@login_required
def andon_board(request):
    """The TV Andon board: full screen, every visible line's live calls with running timers."""
    lines = list(access.visible_lines(request.user).order_by("code"))
    return render(request, "lines/andon_board.html",
                  {"lines": lines, "calls": selectors.andon_board_calls(user=request.user)})


@login_required
def andon_board_calls(request):
    """The board's calls panel (fetched on ``andon-changed``, resync and the safety poll)."""
    return render(request, "lines/andon_board.html#andon-calls",
                  {"calls": selectors.andon_board_calls(user=request.user)})


@login_required
def engineering(request):
    if not access.role_allows(request.user, "lines.view_engineering"):
        raise Http404("No such page.")
    equipment = selectors.engineering_equipment(user=request.user)
    return render(request, "lines/engineering.html", {"equipment": equipment})


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
