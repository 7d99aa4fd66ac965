"""Job screens: the kiosk's "My jobs" (operate_line) and the manager's schedule board (manage_schedule).

Thin views: access through apps/accounts/access.py, one service call, the page or its partial back. Refused
moves answer 409 with the panel showing the reason (the panel swaps 4xx responses in).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts import access
from apps.jobs import selectors, services
from apps.jobs.forms import ScheduleForm
from apps.jobs.models import Job

OPERATE, PLAN = "lines.operate_line", "lines.manage_schedule"
KIOSK = "jobs/kiosk.html"
BOARD = "jobs/board.html"


def _panel(request, line, *, error: str = "", status: int = 200):
    context = selectors.kiosk_context(line=line, user=request.user)
    return render(request, f"{KIOSK}#my-jobs", {**context, "error": error}, status=status)


@login_required
def kiosk(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, OPERATE)
    return render(request, KIOSK, selectors.kiosk_context(line=line, user=request.user))


@login_required
def kiosk_panel(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, OPERATE)
    return _panel(request, line)


def _job_action(request, line_id: int, job_id: int, action):
    line = access.access_line_by_id(request.user, line_id, OPERATE)
    job = get_object_or_404(Job, pk=job_id, line=line)
    try:
        action(job=job, user=request.user)
    except ValidationError as exc:
        return _panel(request, line, error=" ".join(exc.messages), status=409)
    return _panel(request, line)


@login_required
@require_POST
def job_accept(request, line_id: int, job_id: int):
    return _job_action(request, line_id, job_id, services.job_accept)


@login_required
@require_POST
def job_start(request, line_id: int, job_id: int):
    return _job_action(request, line_id, job_id, services.job_start)


@login_required
@require_POST
def job_complete(request, line_id: int, job_id: int):
    return _job_action(request, line_id, job_id, services.job_complete)


@login_required
@require_POST
def changeover_start(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, OPERATE)
    try:
        services.changeover_start(line=line, user=request.user)
    except ValidationError as exc:
        return _panel(request, line, error=" ".join(exc.messages), status=409)
    return _panel(request, line)


@login_required
@require_POST
def changeover_end(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, OPERATE)
    try:
        services.changeover_end(line=line, user=request.user)
    except ValidationError as exc:
        return _panel(request, line, error=" ".join(exc.messages), status=409)
    return _panel(request, line)


# --- manager board (desktop) ------------------------------------------------------------------------------------

def _window(request, line):
    """Board window: the local day given by ?day=YYYY-MM-DD (default today) plus the next day."""
    tz = line.area.site.tz
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.now().astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz)
    return start, start + dt.timedelta(days=2)


def _board(request, line, *, form=None, error: str = "", status: int = 200, partial: str = ""):
    start, end = _window(request, line)
    context = selectors.board_context(line=line, start=start, end=end)
    operators = selectors.line_operators(line=line)
    context.update(form=form or ScheduleForm(line=line), error=error, operators=operators,
                   day=start.date().isoformat())
    template = f"{BOARD}#{partial}" if partial else BOARD
    return render(request, template, context, status=status)


@login_required
def board(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, PLAN)
    return _board(request, line)


@login_required
def board_panel(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, PLAN)
    return _board(request, line, partial="schedule")


@login_required
@require_POST
def schedule_create(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, PLAN)
    form = ScheduleForm(request.POST, line=line)
    if form.is_valid():
        try:
            services.schedule_entry_create(line=line, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
    if form.errors:
        return _board(request, line, form=form, status=400)
    return redirect("jobs:board", line_id=line.pk)


def _user_or_none(raw):
    if not raw:
        return None
    user = get_user_model().objects.filter(pk=raw, is_active=True).first() if str(raw).isdigit() else None
    if user is None:
        raise ValidationError("No such person.")
    return user


@login_required
@require_POST
def job_reassign(request, line_id: int, job_id: int):
    line = access.access_line_by_id(request.user, line_id, PLAN)
    job = get_object_or_404(Job, pk=job_id, line=line)
    try:
        services.job_reassign(job=job, to_user=_user_or_none(request.POST.get("assigned_to")),
                              user=request.user)
    except ValidationError as exc:
        return _board(request, line, error=" ".join(exc.messages), status=409, partial="schedule")
    return _board(request, line, partial="schedule")


@login_required
@require_POST
def job_cancel(request, line_id: int, job_id: int):
    line = access.access_line_by_id(request.user, line_id, PLAN)
    job = get_object_or_404(Job, pk=job_id, line=line)
    try:
        services.job_cancel(job=job, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _board(request, line, error=" ".join(exc.messages), status=409, partial="schedule")
    return _board(request, line, partial="schedule")
