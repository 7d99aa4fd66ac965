"""Checklist screens: fill in and sign the pre-start checklist of a job on the kiosk (operate_line), and look at a
signed completion with its integrity check (view_line)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts import access
from apps.checklists import selectors
from apps.checklists.models import ChecklistCompletion
from apps.checklists.services import checklist_complete, checklist_completion_verify

OPERATE = "lines.operate_line"


def _job_and_template(request, line_id: int, job_id: int):
    from apps.jobs.models import Job
    from apps.jobs.services import counting_equipment

    line = access.access_line_by_id(request.user, line_id, OPERATE)
    job = get_object_or_404(Job.objects.select_related("schedule__product", "schedule__equipment"), pk=job_id,
                            line=line)
    eq = counting_equipment(line, job.schedule)
    template = selectors.applicable_template(line_id=line.pk, equipment_id=eq.pk if eq else None,
                                             product_id=job.schedule.product_id)
    return line, job, eq, template


def _form(request, line, job, template, *, errors=None, values=None, status=200):
    return render(request, "checklists/fill.html", {
        "line": line, "job": job, "template": template, "items": list(template.items.all()) if template else [],
        "errors": errors or {}, "values": values or {},
    }, status=status)


@login_required
def fill_for_job(request, line_id: int, job_id: int):
    line, job, _eq, template = _job_and_template(request, line_id, job_id)
    return _form(request, line, job, template)


@login_required
@require_POST
def submit_for_job(request, line_id: int, job_id: int):
    line, job, eq, template = _job_and_template(request, line_id, job_id)
    if template is None:
        return _form(request, line, job, None, status=400)
    if str(template.pk) != request.POST.get("template"):
        return _form(request, line, job, template, status=409,
                     errors={"form": "The checklist was revised while you filled it in; fill in this version."})
    signer = request.user
    badge = request.POST.get("badge", "").strip()
    if badge:  # a station tablet: the person signing identifies with their badge
        signer = get_user_model().objects.filter(badge_number=badge, is_active=True).first()
    answers = {str(item.pk): request.POST.get(f"item-{item.pk}", "") for item in template.items.all()}
    photos = {str(item.pk): request.FILES[f"item-{item.pk}"] for item in template.items.all()
              if f"item-{item.pk}" in request.FILES}
    try:
        if signer is None:
            raise ValidationError({"badge": "Unknown badge."})
        completion = checklist_complete(
            template_id=template.pk, line=line, signer=signer, pin=request.POST.get("pin", ""), answers=answers,
            signature=request.POST.get("signature", ""), photos=photos, equipment_id=eq.pk if eq else None,
            product_id=job.schedule.product_id, raise_andon=request.POST.get("raise_andon") == "on")
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"form": exc.messages}
        renamed = {"__all__": "form", "_signature": "signature"}
        errors = {renamed.get(k, k): " ".join(v) if isinstance(v, list) else v for k, v in errors.items()}
        return _form(request, line, job, template, errors=errors, values=answers, status=400)
    if not completion.passed:
        return redirect("checklists:completion", line_id=line.pk, completion_id=completion.pk)
    return redirect("jobs:kiosk", line_id=line.pk)


@login_required
def completion(request, line_id: int, completion_id: int):
    line = access.access_line_by_id(request.user, line_id, "lines.view_line")
    try:
        c = selectors.completion_detail(completion_id=completion_id, line_id=line.pk)
    except ChecklistCompletion.DoesNotExist:
        raise Http404("No such checklist.") from None
    return render(request, "checklists/completion.html", {
        "line": line, "c": c, "rows": selectors.completion_rows(c), "hash_ok": checklist_completion_verify(completion=c),
        "signature": c.answers.get("_signature", ""),
        "kiosk": access.can_access_line(request.user, line.pk, OPERATE),
    })
