"""Writes of the reports app: templates, generated reports (with their files), the download log, handover notes and
retention. Views, Celery tasks and commands all come through here."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.lines.shifts import ShiftInstance
from apps.reports import render
from apps.reports.choices import DEFAULT_SECTIONS, SECTIONS, PageSize, ReportKind, ReportStatus, Schedule
from apps.reports.models import GeneratedReport, HandoverNote, ReportAccess, ReportTemplate
from apps.reports.selectors import report_data, report_title

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


# -- templates ---------------------------------------------------------------------------------------------------

def _clean_template_fields(*, kind, sections, page_size, schedule, recipients) -> list[str]:
    errors = []
    if kind not in ReportKind.values:
        errors.append(f"Unknown report kind {kind!r}.")
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        errors.append(f"Unknown section(s): {', '.join(unknown)}.")
    if page_size not in PageSize.values:
        errors.append(f"Unknown page size {page_size!r}: use a4 or letter.")
    if schedule not in Schedule.values:
        errors.append(f"Unknown schedule {schedule!r}.")
    from django.core.validators import validate_email

    for address in [a.strip() for a in recipients.replace(",", "\n").splitlines() if a.strip()]:
        try:
            validate_email(address)
        except ValidationError:
            errors.append(f"{address!r} is not an e-mail address.")
    return errors


@transaction.atomic
def report_template_save(*, user, line, name: str, kind: str, sections: list[str], page_size: str = PageSize.A4,
                         schedule: str = Schedule.NONE, recipients: str = "", active: bool = True,
                         template: ReportTemplate | None = None) -> ReportTemplate:
    """Create (``template`` None) or update a report template; bad values raise ValidationError naming them."""
    name = (name or "").strip()
    errors = _clean_template_fields(kind=kind, sections=sections, page_size=page_size, schedule=schedule,
                                    recipients=recipients)
    if not name:
        errors.append("A template needs a name.")
    if errors:
        raise ValidationError(errors)
    obj = template or ReportTemplate(line=line, created_by=user)
    obj.name, obj.kind, obj.sections, obj.page_size = name, kind, list(sections), page_size
    obj.schedule, obj.recipients, obj.active = schedule, recipients, active
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError([f"Line {line.code} already has a report template named {name!r}."]) from None
    return obj


# -- generation --------------------------------------------------------------------------------------------------

def _build_files(report: GeneratedReport, *, as_of: dt.datetime | None = None) -> None:
    """Render the PDF and the CSV zip of ``report`` from its stored parameters and attach them (not saved)."""
    import io

    from pypdf import PdfReader

    p = report.parameters
    data = report_data(line=report.line, kind=report.kind, start=report.window_start, end=report.window_end,
                       sections=p.get("sections"), as_of=as_of, title=report.title)
    who = report.requested_by.get_username() if report.requested_by else ""
    pdf = render.render_pdf(data, page_size=p.get("page_size", PageSize.A4), generated_by=who,
                            generated_at=report.created_at)
    stem = f"{report.line.code}_{report.kind}_{report.window_start:%Y%m%dT%H%M}Z_{report.pk}"
    report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    report.csv_zip.save(f"{stem}_csv.zip", ContentFile(render.render_csv_zip(data)), save=False)
    report.page_count = len(PdfReader(io.BytesIO(pdf)).pages)


def _run(report_id: int, *, as_of: dt.datetime | None = None) -> GeneratedReport:
    """pending/failed → running (a conditional update, so two workers never both build it) → done/failed."""
    claimed = GeneratedReport.objects.filter(pk=report_id, status__in=[ReportStatus.PENDING, ReportStatus.FAILED],
                                             attempts__lt=MAX_ATTEMPTS).update(status=ReportStatus.RUNNING)
    report = GeneratedReport.objects.select_related("line__area__site", "requested_by", "template").get(pk=report_id)
    if not claimed:
        return report
    report.attempts += 1
    try:
        _build_files(report, as_of=as_of)
    except Exception as exc:  # noqa: BLE001 — any failure is recorded on the report and retried later
        log.exception("report %s failed", report_id)
        report.status, report.error = ReportStatus.FAILED, f"{type(exc).__name__}: {exc}"[:4000]
        report.finished_at = timezone.now()
        report.save(update_fields=["status", "error", "attempts", "finished_at"])
        return report
    report.status, report.error, report.finished_at = ReportStatus.DONE, "", timezone.now()
    report.save(update_fields=["status", "error", "attempts", "finished_at", "pdf", "csv_zip", "page_count"])
    return report


def report_generate(*, user, line, kind: str, start: dt.datetime, end: dt.datetime, sections: list[str] | None = None,
                    page_size: str = PageSize.A4, template: ReportTemplate | None = None,
                    as_of: dt.datetime | None = None) -> GeneratedReport:
    """Generate one report now (on demand): stored with who, when and parameters, files under MEDIA_ROOT.

    Not one transaction on purpose: the row is committed first so a failure leaves a visible ``failed`` report
    with its error instead of nothing."""
    sections = list(sections or (template.sections if template and template.sections else DEFAULT_SECTIONS[kind]))
    errors = _clean_template_fields(kind=kind, sections=sections, page_size=page_size, schedule=Schedule.NONE,
                                    recipients="")
    if end <= start:
        errors.append("The end of the window must be after its start.")
    if (end - start) > dt.timedelta(days=93):
        errors.append("A report window may span at most 93 days.")
    if errors:
        raise ValidationError(errors)
    report = GeneratedReport.objects.create(
        template=None, line=line, kind=kind, title=report_title(line=line, kind=kind, start=start, end=end),
        window_start=start, window_end=end, requested_by=user, created_at=timezone.now(),
        parameters={"sections": sections, "page_size": page_size, "template_id": template.pk if template else None,
                    "as_of": as_of.isoformat() if as_of else None},
    )
    return _run(report.pk, as_of=as_of)


def report_claim_scheduled(*, template: ReportTemplate, start: dt.datetime, end: dt.datetime) -> GeneratedReport | None:
    """The scheduled report of (template, window), created once: None when it already exists (another beat or an
    earlier run made it). The unique constraint is the guard, so two racing processes cannot both create it."""
    line = template.line
    try:
        with transaction.atomic():
            return GeneratedReport.objects.create(
                template=template, line=line, kind=template.kind,
                title=report_title(line=line, kind=template.kind, start=start, end=end),
                window_start=start, window_end=end, requested_by=None, created_at=timezone.now(),
                parameters={"sections": template.sections or DEFAULT_SECTIONS[template.kind],
                            "page_size": template.page_size, "template_id": template.pk,
                            "schedule": template.schedule, "recipients": template.recipient_list},
            )
    except IntegrityError:
        return None


def report_run_scheduled(*, report_id: int) -> GeneratedReport:
    """Build a claimed scheduled report (or retry a failed one), then e-mail it once to the template's recipients.

    The e-mail is recorded (``emailed_at`` set by a conditional update) before it is sent, so a retry or a second
    worker never sends it twice; a failed send clears the mark again and fails the report for a retry."""
    report = _run(report_id)
    if report.status != ReportStatus.DONE or report.emailed_at is not None:
        return report
    recipients = report.parameters.get("recipients") or []
    if not recipients:
        return report
    now = timezone.now()
    if not GeneratedReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(emailed_at=now):
        return report
    try:
        msg = EmailMessage(subject=f"[MS5] {report.title}",
                           body=f"{report.title}\n\nThe report is attached (PDF) with its tables (CSV, zipped).\n",
                           from_email=settings.DEFAULT_FROM_EMAIL, to=recipients)
        with report.pdf.open("rb") as f:
            msg.attach(report.pdf.name.rsplit("/", 1)[-1], f.read(), "application/pdf")
        with report.csv_zip.open("rb") as f:
            msg.attach(report.csv_zip.name.rsplit("/", 1)[-1], f.read(), "application/zip")
        msg.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 — recorded and retried by the next generate_due run
        log.exception("e-mailing report %s failed", report.pk)
        GeneratedReport.objects.filter(pk=report.pk).update(
            emailed_at=None, status=ReportStatus.FAILED, error=f"e-mail: {type(exc).__name__}: {exc}"[:4000])
    report.refresh_from_db()
    return report


# -- downloads and retention -------------------------------------------------------------------------------------

@transaction.atomic
def report_access_log(*, report: GeneratedReport, user, fmt: str) -> ReportAccess:
    return ReportAccess.objects.create(report=report, user=user, fmt=fmt, at=timezone.now())


def reports_purge_expired(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the files of reports older than the retention (``MS5_REPORTS_RETENTION_DAYS``); the rows stay as the
    record of what was generated (and keep scheduled windows from being generated again). Returns files purged."""
    now = now or timezone.now()
    days = getattr(settings, "REPORTS_RETENTION_DAYS", 90) if days is None else days
    cutoff = now - dt.timedelta(days=days)
    purged = 0
    for report in GeneratedReport.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).iterator():
        for f in (report.pdf, report.csv_zip):
            if f:
                f.delete(save=False)
                purged += 1
        GeneratedReport.objects.filter(pk=report.pk).update(pdf="", csv_zip="", purged_at=now)
    return purged


# -- handover notes ----------------------------------------------------------------------------------------------

class HandoverSigned(ValidationError):
    pass


@transaction.atomic
def handover_note_save(*, user, line, shift: ShiftInstance, open_issues: str = "", risks: str = "",
                       notes: str = "") -> HandoverNote:
    """Write (or rewrite) the handover note of a shift instance. Refused once signed off."""
    note = HandoverNote.objects.select_for_update().filter(line=line, shift_key=shift.key).first()
    if note is not None and note.signed:
        raise HandoverSigned(["This handover was signed off and can no longer be changed."])
    if note is None:
        note = HandoverNote(line=line, shift_key=shift.key, shift_code=shift.shift_code,
                            production_date=shift.production_date, shift_start=shift.start, shift_end=shift.end)
    note.open_issues, note.risks, note.notes = open_issues.strip(), risks.strip(), notes.strip()
    note.author, note.updated_at = user, timezone.now()
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:  # a second tap created it meanwhile: edit that one instead
        return handover_note_save(user=user, line=line, shift=shift, open_issues=open_issues, risks=risks,
                                  notes=notes)
    return note


@transaction.atomic
def handover_note_sign(*, user, note: HandoverNote) -> HandoverNote:
    """Sign a handover off; from then on it is immutable. Signing twice is refused."""
    if not HandoverNote.objects.filter(pk=note.pk, signed_at__isnull=True).update(signed_by=user,
                                                                                  signed_at=timezone.now()):
        raise HandoverSigned(["This handover was already signed off."])
    note.refresh_from_db()
    return note
