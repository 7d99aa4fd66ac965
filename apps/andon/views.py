"""Andon screens and actions: thin FBVs, every one behind the access choke-point (apps/accounts/access.py).

Panels (``_panel.html``, ``_board_calls.html``, ``_kpis.html``) are included by the kiosk, manager and TV pages
with ``hx-get … hx-trigger="load, ms5:andon-changed from:body, ms5:resync from:body, every 60s"``; they depend on
the user's permissions, so they are fetched, never pushed (services nudge ``ms5:andon-changed`` on commit).
Actions answer with the refreshed panel and an ``HX-Trigger`` so the other panels on the page follow.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import struct
import wave
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import access
from apps.andon import selectors, services
from apps.andon.choices import CallPriority
from apps.andon.models import AndonCall, NotificationPreference
from apps.lines.models import Equipment

RESPOND = "lines.respond_andon"
RAISE = "lines.raise_andon"


def _call_for(user, call_id: int, perm: str) -> AndonCall:
    """The call if ``user`` may do ``perm`` on its line; 404 for missing and forbidden alike."""
    call = AndonCall.objects.select_related("line").filter(pk=call_id).first()
    if call is None:
        raise Http404("No such call.")
    access.access_line_by_id(user, call.line_id, perm)
    return call


def _panel_context(request, line) -> dict:
    return {
        "line": line,
        "calls": list(selectors.live_calls(line_ids=[line.pk])),
        "categories": services.andon_categories_ensure(line_id=line.pk),
        "equipment": list(Equipment.objects.filter(line=line).order_by("position")),
        "can_raise": access.can_access_line(request.user, line.pk, RAISE),
        "can_respond": access.can_access_line(request.user, line.pk, RESPOND),
        "priorities": CallPriority.choices,
        "now": timezone.now(),
    }


def _panel_response(request, line, *, error: str = "", status: int = 200) -> HttpResponse:
    response = render(request, "andon/_panel.html", {**_panel_context(request, line), "error": error},
                      status=status)
    if status == 200:
        response["HX-Trigger"] = "ms5:andon-changed"
    return response


@login_required
def panel(request, line_id: int):
    """Raise buttons and the line's live calls with the actions this user may take."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return render(request, "andon/_panel.html", _panel_context(request, line))


@login_required
@require_POST
def raise_call(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, RAISE)
    category = request.POST.get("category", "")
    equipment = request.POST.get("equipment") or None
    if not category:
        return _panel_response(request, line, error="Choose what kind of help is needed.", status=400)
    try:
        services.andon_call_raise(line_id=line.pk, category=category, user=request.user,
                                  equipment_id=int(equipment) if equipment else None,
                                  description=request.POST.get("description", ""),
                                  priority=request.POST.get("priority") or None)
    except (services.AndonError, ValueError) as exc:
        return _panel_response(request, line, error=str(exc), status=400)
    return _panel_response(request, line)


def _act(request, call_id: int, perm: str, action) -> HttpResponse:
    call = _call_for(request.user, call_id, perm)
    try:
        action(call)
    except services.AndonError as exc:
        return _panel_response(request, call.line, error=str(exc), status=409)
    return _panel_response(request, call.line)


@login_required
@require_POST
def acknowledge(request, call_id: int):
    return _act(request, call_id, RESPOND,
                lambda call: services.andon_call_acknowledge(call_id=call.pk, user=request.user))


@login_required
@require_POST
def resolve(request, call_id: int):
    call = _call_for(request.user, call_id, RESPOND)
    notes = request.POST.get("notes", "")
    if not notes.strip():
        return _panel_response(request, call.line, error="Say what was done: resolution notes are required.",
                               status=400)
    return _act(request, call_id, RESPOND, lambda c: services.andon_call_resolve(
        call_id=c.pk, user=request.user, notes=notes, root_cause=request.POST.get("root_cause", "")))


@login_required
@require_POST
def cancel(request, call_id: int):
    """Responders may cancel any call of their line; whoever raised a call may cancel their own."""
    call = _call_for(request.user, call_id, RAISE)
    if call.raised_by_id != request.user.pk and not access.can_access_line(request.user, call.line_id, RESPOND):
        return _panel_response(request, call.line, error="Only the person who raised this call or a responder "
                                                         "may cancel it.", status=403)
    return _act(request, call_id, RAISE, lambda c: services.andon_call_cancel(
        call_id=c.pk, user=request.user, reason=request.POST.get("reason", "")))


@login_required
@require_POST
def escalate(request, call_id: int):
    return _act(request, call_id, RESPOND, lambda call: services.andon_call_escalate(call_id=call.pk,
                                                                                     user=request.user))


@login_required
def call_detail(request, call_id: int):
    """The call and its timeline."""
    call = _call_for(request.user, call_id, "lines.view_line")
    return render(request, "andon/call.html", {"call": call, "events": selectors.call_timeline(call_id=call.pk),
                                               "notifications": call.notifications.order_by("created_at", "pk")})


@login_required
def kpis(request, line_id: int):
    """Response-time KPIs of the line (default: the last 7 days) for the manager screen."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_reports")
    try:
        days = max(1, min(int(request.GET.get("days", 7)), 92))
    except ValueError:
        days = 7
    end = timezone.now()
    data = selectors.andon_kpis(line_ids=[line.pk], start=end - dt.timedelta(days=days), end=end)
    return render(request, "andon/_kpis.html", {"line": line, "k": data, "days": days})


@login_required
def board(request, line_id: int):
    """The TV board: full screen, large type, running timers, a chime on a new call."""
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return render(request, "andon/board.html", {"line": line})


@login_required
def board_calls(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    return render(request, "andon/_board_calls.html",
                  {"line": line, "calls": list(selectors.live_calls(line_ids=[line.pk])), "now": timezone.now()})


@lru_cache(maxsize=1)
def chime_wav() -> bytes:
    """A two-tone 0.6 s chime, synthesised with the stdlib (no binary file in the repository)."""
    rate, out = 16000, io.BytesIO()
    frames = bytearray()
    for freq, seconds in ((880.0, 0.25), (0.0, 0.05), (660.0, 0.3)):
        n = int(rate * seconds)
        for i in range(n):
            envelope = min(1.0, i / 400, (n - i) / 800)
            sample = int(12000 * envelope * math.sin(2 * math.pi * freq * i / rate)) if freq else 0
            frames += struct.pack("<h", sample)
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


@login_required
def chime(request):
    response = HttpResponse(chime_wav(), content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def push_key(request):
    """The VAPID public key the browser subscribes with (applicationServerKey)."""
    return JsonResponse({"public_key": services.vapid_key_ensure().public_key})


@login_required
@require_POST
def push_subscribe(request):
    """Store the browser's PushSubscription (JSON body as produced by ``subscription.toJSON()``)."""
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        services.push_subscription_save(user=request.user, endpoint=str(data.get("endpoint", "")),
                                        p256dh=str(keys.get("p256dh", "")), auth=str(keys.get("auth", "")))
    except (ValueError, AttributeError, services.AndonError) as exc:
        return JsonResponse({"ok": False, "error": str(exc) or "Not a push subscription."}, status=400)
    return JsonResponse({"ok": True}, status=201)


def service_worker(request):
    """The push service worker. Public: a browser fetches it without the page's context; it holds no data."""
    response = render(request, "andon/sw.js", content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The signed-in user's own notification preferences."""
    pref = NotificationPreference.objects.filter(user=request.user).first()
    error, saved = "", False
    if request.method == "POST":
        try:
            pref = services.notification_preference_save(
                user=request.user, email="email" in request.POST, webpush="webpush" in request.POST,
                sms="sms" in request.POST, min_priority=request.POST.get("min_priority", "low"))
            saved = True
        except services.AndonError as exc:
            error = str(exc)
    return render(request, "andon/preferences.html", {
        "pref": pref or NotificationPreference(user=request.user), "priorities": CallPriority.choices,
        "error": error, "saved": saved}, status=400 if error else 200)
