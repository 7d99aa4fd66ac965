"""Report pages: thin FBVs behind the access choke-point (apps/accounts/access.py). Reading and generating reports
needs ``lines.view_reports`` on the line; editing templates and writing or signing handover notes needs
``lines.manage_schedule`` (the shift and production managers' line permission)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts import access
from apps.reports import selectors, services
from apps.reports.choices import SECTIONS, ReportKind
from apps.reports.forms import GenerateForm, HandoverForm, TemplateForm
from apps.reports.models import GeneratedReport, HandoverNote, ReportTemplate

VIEW, MANAGE = "lines.view_reports", "lines.manage_schedule"


@login_required
def report_list(request):
    lines = list(access.visible_lines(request.user, VIEW))
    if not lines and not access.role_allows(request.user, VIEW):
        raise Http404("No reports.")
    reports = selectors.reports_for_user(user=request.user)[:100]
    return render(request, "reports/list.html", {"lines": lines, "reports": reports})


def _line_context(request, line, form=None):
    now = timezone.now()
    last = selectors.shift_instances_ended(line=line, since=now - dt.timedelta(days=2), until=now)
    tz = line.area.site.tz
    initial = {"kind": ReportKind.SHIFT, "page_size": "a4"}
    if last:
        initial.update(start=last[-1].start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                       end=last[-1].end.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
    return {
        "line": line, "form": form or GenerateForm(initial=initial), "sections": SECTIONS,
        "templates": ReportTemplate.objects.filter(line=line).order_by("name"),
        "reports": selectors.reports_for_user(user=request.user, line_ids=[line.pk])[:50],
        "may_manage": access.can_access_line(request.user, line.pk, MANAGE), "tz": line.area.site.time_zone,
    }


@login_required
def line_reports(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, VIEW)
    return render(request, "reports/line.html", _line_context(request, line))


@login_required
@require_POST
def generate(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, VIEW)
    form = GenerateForm(request.POST, tz=line.area.site.tz)
    if not form.is_valid():
        return render(request, "reports/line.html", _line_context(request, line, form), status=400)
    d = form.cleaned_data
    template = None
    if d.get("template"):
        template = get_object_or_404(ReportTemplate, pk=d["template"], line=line)
    try:
        services.report_generate(user=request.user, line=line, kind=d["kind"], start=d["start"],
                                          end=d["end"], sections=d["sections"] or None, page_size=d["page_size"],
                                          template=template)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return render(request, "reports/line.html", _line_context(request, line, form), status=400)
    # A report that failed is listed with its status and error; it is not an error of this request.
    return redirect("reports:line", line_id=line.pk)


@login_required
def download(request, report_id: int, fmt: str):
    report = GeneratedReport.objects.filter(pk=report_id).only("line_id").first()
    if report is None or fmt not in ("pdf", "csv"):
        raise Http404("No such line.")  # the same answer as a line the user may not see
    access.access_line_by_id(request.user, report.line_id, VIEW)  # the same 404 for missing and forbidden
    report = GeneratedReport.objects.get(pk=report_id)
    f = report.pdf if fmt == "pdf" else report.csv_zip
    if not f:
        reason = "was deleted by retention" if report.purged_at else f"is not available (status {report.status})"
        return HttpResponse(f"This report's {fmt.upper()} {reason}.", status=410, content_type="text/plain")
    services.report_access_log(report=report, user=request.user, fmt=fmt)
    return FileResponse(f.open("rb"), as_attachment=True, filename=f.name.rsplit("/", 1)[-1],
                        content_type="application/pdf" if fmt == "pdf" else "application/zip")


def _template_form_page(request, line, template=None):
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                services.report_template_save(user=request.user, line=line, template=template, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("reports:line", line_id=line.pk)
        return render(request, "reports/template_form.html", {"form": form, "line": line, "template": template},
                      status=400)
    initial = {"page_size": "a4", "schedule": "none", "active": True}
    if template is not None:
        initial = {k: getattr(template, k) for k in ("name", "kind", "sections", "page_size", "schedule",
                                                       "recipients", "active")}
    return render(request, "reports/template_form.html",
                  {"form": TemplateForm(initial=initial), "line": line, "template": template})


@login_required
def template_new(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, MANAGE)
    return _template_form_page(request, line)


@login_required
def template_edit(request, template_id: int):
    template = ReportTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404("No such line.")
    line = access.access_line_by_id(request.user, template.line_id, MANAGE)
    return _template_form_page(request, line, template)


def _handover_shift(line, key: str | None):
    choices = selectors.handover_shift_choices(line=line)
    if key:
        return next((i for i in choices if i.key == key), None), choices
    return (choices[0] if choices else None), choices


@login_required
def handover(request, line_id: int):
    """Write the handover of a shift (default: the running or last shift); kiosk layout with ``?kiosk=1``."""
    line = access.access_line_by_id(request.user, line_id, MANAGE)
    shift, choices = _handover_shift(line, request.POST.get("shift") or request.GET.get("shift"))
    note = HandoverNote.objects.filter(line=line, shift_key=shift.key).select_related(
        "author", "signed_by").first() if shift else None
    status = 200
    form = HandoverForm(initial={"open_issues": note.open_issues, "risks": note.risks, "notes": note.notes}
                        if note else None)
    error = ""
    if request.method == "POST":
        form = HandoverForm(request.POST)
        if shift is None:
            error, status = "There is no shift to hand over.", 400
        elif form.is_valid():
            try:
                note = services.handover_note_save(user=request.user, line=line, shift=shift, **form.cleaned_data)
                if request.POST.get("sign"):
                    note = services.handover_note_sign(user=request.user, note=note)
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 409
            else:
                return redirect(f"{request.path}?shift={shift.key}" + ("&kiosk=1" if request.GET.get("kiosk") else ""))
        else:
            status = 400
    kiosk = bool(request.GET.get("kiosk"))
    return render(request, "reports/handover.html", {
        "line": line, "shift": shift, "choices": choices, "note": note, "form": form, "error": error,
        "base_template": "kiosk/base.html" if kiosk else "base.html", "kiosk": kiosk, "tz": line.area.site.tz,
    }, status=status)


@login_required
@require_POST
def handover_sign(request, line_id: int):
    line = access.access_line_by_id(request.user, line_id, MANAGE)
    note = HandoverNote.objects.filter(line=line, shift_key=request.POST.get("shift", "")).first()
    if note is None:
        return HttpResponse("No handover note for that shift.", status=400, content_type="text/plain")
    try:
        services.handover_note_sign(user=request.user, note=note)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=409, content_type="text/plain")
    return redirect(f"{line_handover_url(line)}?shift={note.shift_key}")


def line_handover_url(line) -> str:
    from django.urls import reverse

    return reverse("reports:handover", kwargs={"line_id": line.pk})
