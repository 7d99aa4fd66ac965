"""Write path of checklists: template versions and signed completions. Nothing else writes these rows.

A completion is signed: the signer re-authenticates with their PIN, draws a signature, and the stored row carries
a SHA-256 over the canonical JSON of (answers, template id and version, signer, time, line, equipment, product).
``checklist_completion_verify`` recomputes it, so a changed answer, signer or time is detected.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.checklists.choices import ItemKind
from apps.checklists.models import ChecklistCompletion, ChecklistItem, ChecklistPhoto, ChecklistTemplate
from apps.lines.models import Line
from apps.lines.shifts import shift_instance_at

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_SIGNATURE_BYTES = 512 * 1024
PHOTO_TYPES = {  # magic bytes → content type; the declared type of an upload is not trusted
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIGNATURE_KEY = "_signature"
TRUE_WORDS = {"1", "true", "on", "yes"}


# --- templates -------------------------------------------------------------------------------------------------

def checklist_items_clean(items: list[dict]) -> list[dict]:
    if not items:
        raise ValidationError("A checklist needs at least one item.")
    cleaned, errors = [], []
    for n, raw in enumerate(items, start=1):
        kind = raw.get("kind")
        label = (raw.get("label") or "").strip()
        if kind not in ItemKind.values:
            errors.append(f"Item {n}: unknown type {kind!r} (use one of {', '.join(ItemKind.values)}).")
            continue
        if not label:
            errors.append(f"Item {n}: a label is required.")
        item = {"kind": kind, "label": label[:200], "required": bool(raw.get("required", True)),
                "unit": (raw.get("unit") or "")[:20], "min_value": None, "max_value": None,
                "choices": [], "pass_choices": []}
        if kind == ItemKind.NUMBER:
            for key in ("min_value", "max_value"):
                value = raw.get(key)
                if value not in (None, ""):
                    try:
                        item[key] = Decimal(str(value))
                    except InvalidOperation:
                        errors.append(f"Item {n}: {key.replace('_', ' ')} {value!r} is not a number.")
            if item["min_value"] is not None and item["max_value"] is not None and item["min_value"] > item["max_value"]:
                errors.append(f"Item {n}: the lower limit is above the upper limit.")
        if kind == ItemKind.SELECT:
            choices = [str(c).strip() for c in raw.get("choices") or [] if str(c).strip()]
            passing = [str(c).strip() for c in raw.get("pass_choices") or [] if str(c).strip()]
            if len(choices) < 2:
                errors.append(f"Item {n}: a select item needs at least two options.")
            if any(p not in choices for p in passing):
                errors.append(f"Item {n}: a passing option is not among the options.")
            item["choices"], item["pass_choices"] = choices, passing
        cleaned.append(item)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _create_version(*, line, equipment, product, code, name, version, items, user, at) -> ChecklistTemplate:
    template = ChecklistTemplate.objects.create(
        line=line, equipment=equipment, product=product, code=code, name=name, version=version, active=True,
        created_at=at, created_by=user,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(template=template, position=pos, **item) for pos, item in enumerate(items, start=1)
    )
    return template


@transaction.atomic
def checklist_template_create(*, line: Line, code: str, name: str, items: list[dict], equipment=None,
                              product=None, user=None, at: dt.datetime | None = None) -> ChecklistTemplate:
    """Version 1 of a new checklist for a line (optionally one equipment and/or product)."""
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": "A checklist code is required."})
    if equipment is not None and equipment.line_id != line.pk:
        raise ValidationError({"equipment": "This equipment is not on the line."})
    if ChecklistTemplate.objects.filter(code=code).exists():
        raise ValidationError({"code": f"A checklist with code {code!r} exists; revise it instead."})
    return _create_version(line=line, equipment=equipment, product=product, code=code, name=name.strip() or code,
                           version=1, items=checklist_items_clean(items), user=user, at=at or timezone.now())


@transaction.atomic
def checklist_template_revise(*, template: ChecklistTemplate, items: list[dict], name: str | None = None, user=None,
                              at: dt.datetime | None = None) -> ChecklistTemplate:
    """Editing a checklist: create the next version (the previous one is deactivated, its completions keep it)."""
    current = ChecklistTemplate.objects.select_for_update().filter(code=template.code, active=True).first()
    if current is None or current.pk != template.pk:
        raise ValidationError("This is not the newest version of the checklist any more; reload and edit again.")
    cleaned = checklist_items_clean(items)
    ChecklistTemplate.objects.filter(pk=current.pk).update(active=False)
    return _create_version(line=current.line, equipment=current.equipment, product=current.product,
                           code=current.code, name=(name or current.name).strip(), version=current.version + 1,
                           items=cleaned, user=user, at=at or timezone.now())


# --- completions ----------------------------------------------------------------------------------------------

def shift_key_at(line: Line, at: dt.datetime) -> str:
    """The shift instance key at ``at``; outside every shift (or without a shift pattern) the local production day."""
    inst = shift_instance_at(line, at)
    if inst is not None:
        return inst.key
    return f"{line.pk}:day:{at.astimezone(line.area.site.tz).date().isoformat()}"


def canonical_payload(*, template_id: int, template_code: str, template_version: int, line_id: int,
                      equipment_id: int | None, product_id: int | None, signer_id: int, signer_username: str,
                      signed_at: dt.datetime, answers: dict, passed: bool, failed_items: list, shift_key: str) -> str:
    """The exact text that is hashed: sorted keys, no whitespace, UTF-8, time in UTC to the microsecond. The result
    (passed, failed items) and the shift are covered too, so a flipped result is detected like a changed answer."""
    body = {
        "answers": answers, "equipment_id": equipment_id, "line_id": line_id, "product_id": product_id,
        "passed": passed, "failed_items": list(failed_items), "shift_key": shift_key,
        "signed_at": signed_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
        "signer_id": signer_id, "signer_username": signer_username, "template_code": template_code,
        "template_id": template_id, "template_version": template_version,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def completion_hash(completion: ChecklistCompletion) -> str:
    text = canonical_payload(
        template_id=completion.template_id, template_code=completion.template.code,
        template_version=completion.template.version, line_id=completion.line_id,
        equipment_id=completion.equipment_id, product_id=completion.product_id, signer_id=completion.signer_id,
        signer_username=completion.signer.username, signed_at=completion.signed_at, answers=completion.answers,
        passed=completion.passed, failed_items=completion.failed_items, shift_key=completion.shift_key,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checklist_completion_verify(*, completion: ChecklistCompletion) -> bool:
    """True when the stored hash matches the stored content (re-read from the database first)."""
    fresh = ChecklistCompletion.objects.select_related("template", "signer").get(pk=completion.pk)
    return hmac.compare_digest(fresh.content_hash, completion_hash(fresh))


def _decode_signature(value: str, label: str) -> str:
    prefix = "data:image/png;base64,"
    if not isinstance(value, str) or not value.startswith(prefix):
        raise ValidationError(f"{label}: draw a signature.")
    try:
        raw = base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"{label}: the signature is not valid PNG data.") from None
    if not raw.startswith(PNG_MAGIC):
        raise ValidationError(f"{label}: the signature is not a PNG image.")
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError(f"{label}: the signature image is too large.")
    return prefix + base64.b64encode(raw).decode("ascii")


def _store_photo(upload, label: str, user, at) -> dict:
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(f"{label}: the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB.")
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(f"{label}: the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB.")
    ctype = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if ctype is None:
        raise ValidationError(f"{label}: only JPEG or PNG photos are accepted.")
    digest = hashlib.sha256(data).hexdigest()
    ChecklistPhoto.objects.get_or_create(sha256=digest, defaults={
        "content_type": ctype, "data": data, "size": len(data), "uploaded_at": at, "uploaded_by": user})
    return {"sha256": digest, "type": ctype, "size": len(data)}


def evaluate_answers(template: ChecklistTemplate, raw: dict, photos: dict, *, user=None, at=None):
    """Validate and normalise the answers of ``template``. Returns (answers, failed_labels); raises a
    ValidationError mapping item ids to messages for missing or malformed answers."""
    answers, failed, errors = {}, [], {}
    for item in template.items.all():
        key = str(item.pk)
        value = raw.get(key)
        value = value.strip() if isinstance(value, str) else value
        try:
            if item.kind == ItemKind.CHECKBOX:
                ticked = value is True or (isinstance(value, str) and value.lower() in TRUE_WORDS)
                answers[key] = ticked
                if item.required and not ticked:
                    failed.append(item.label)
            elif item.kind == ItemKind.NUMBER:
                if value in (None, ""):
                    if item.required:
                        raise ValidationError("Enter a value.")
                    answers[key] = None
                    continue
                try:
                    number = Decimal(str(value))
                    if not number.is_finite():
                        raise InvalidOperation
                except InvalidOperation:
                    raise ValidationError(f"{value!r} is not a number.") from None
                answers[key] = str(number)
                if (item.min_value is not None and number < item.min_value) or (
                        item.max_value is not None and number > item.max_value):
                    failed.append(item.label)
            elif item.kind == ItemKind.TEXT:
                if not value and item.required:
                    raise ValidationError("Enter a text.")
                answers[key] = (value or "")[:2000]
            elif item.kind == ItemKind.SELECT:
                if not value:
                    if item.required:
                        raise ValidationError("Pick an option.")
                    answers[key] = None
                    continue
                if value not in item.choices:
                    raise ValidationError(f"{value!r} is not one of the options.")
                answers[key] = value
                if item.pass_choices and value not in item.pass_choices:
                    failed.append(item.label)
            elif item.kind == ItemKind.PHOTO:
                upload = photos.get(key)
                if upload is None:
                    if item.required:
                        raise ValidationError("Take a photo.")
                    answers[key] = None
                    continue
                answers[key] = _store_photo(upload, item.label, user, at)
            elif item.kind == ItemKind.SIGNATURE:
                if not value:
                    if item.required:
                        raise ValidationError("Draw a signature.")
                    answers[key] = None
                    continue
                answers[key] = _decode_signature(value, item.label)
        except ValidationError as exc:
            errors[key] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    return answers, failed


@transaction.atomic
def checklist_complete(*, template_id: int, line: Line, signer, pin: str, answers: dict, signature: str,
                       photos: dict | None = None, equipment_id: int | None = None, product_id: int | None = None,
                       at: dt.datetime | None = None, raise_andon: bool = False) -> ChecklistCompletion:
    """Sign a checklist. The signer re-authenticates with their PIN and draws a signature. The stored completion
    is immutable and hashed. A failed item makes it ``passed=False`` (which blocks job start) and, when
    ``raise_andon`` is set, raises an Andon call (kiosk category "quality", else "help") naming the failed items."""
    from apps.accounts.access import can_access_line

    at = at or timezone.now()
    if not (signer and signer.is_active and can_access_line(signer, line.pk, "lines.operate_line")):
        raise ValidationError({"signer": "This person may not sign checklists on this line."})
    if not signer.check_pin(pin or ""):
        raise ValidationError({"pin": "Wrong PIN." if signer.has_pin else "This person has no PIN set."})
    template = (ChecklistTemplate.objects.select_for_update().prefetch_related("items")
                .filter(pk=template_id, line=line).first())
    if template is None:
        raise ValidationError("No such checklist on this line.")
    if not template.active:
        raise ValidationError("The checklist was revised while you filled it in; open it again.")
    if template.equipment_id and equipment_id and equipment_id != template.equipment_id:
        raise ValidationError("The checklist is for another machine.")
    if template.product_id and product_id and product_id != template.product_id:
        raise ValidationError("The checklist is for another product.")
    equipment_id = equipment_id or template.equipment_id
    product_id = product_id or template.product_id
    clean, failed = evaluate_answers(template, answers, photos or {}, user=signer, at=at)
    try:
        clean[SIGNATURE_KEY] = _decode_signature(signature, "Signature")
    except ValidationError as exc:
        raise ValidationError({SIGNATURE_KEY: exc.messages}) from None
    completion = ChecklistCompletion(
        template=template, line=line, equipment_id=equipment_id, product_id=product_id, signer=signer,
        signed_at=at, shift_key=shift_key_at(line, at), answers=clean, passed=not failed, failed_items=failed,
    )
    completion.content_hash = hashlib.sha256(canonical_payload(
        template_id=template.pk, template_code=template.code, template_version=template.version, line_id=line.pk,
        equipment_id=equipment_id, product_id=product_id, signer_id=signer.pk, signer_username=signer.username,
        signed_at=at, answers=clean, passed=completion.passed, failed_items=failed,
        shift_key=completion.shift_key).encode("utf-8")).hexdigest()
    if failed and raise_andon:
        completion.andon_call_id = _raise_andon(completion, template, failed)
    completion.save()
    from apps.lines.live import nudge_on_commit

    nudge_on_commit(line.pk, "ms5:jobs-changed")
    return completion


ANDON_CATEGORIES = ("quality", "help")  # preferred kiosk categories for a failed checklist, in order


def _raise_andon(completion, template, failed) -> int | None:
    """Raise (or repeat) a manual Andon call for a failed checklist through the Andon app's kiosk service. Returns
    the call id; None when the line has none of the categories (the failure stays recorded on the completion)."""
    from apps.andon import services as andon

    categories = {c.code for c in andon.andon_categories_ensure(line_id=completion.line_id)}
    category = next((c for c in ANDON_CATEGORIES if c in categories), None)
    if category is None:
        return None
    call = andon.andon_call_raise(
        line_id=completion.line_id, category=category, user=completion.signer, equipment_id=completion.equipment_id,
        description=f"Pre-start checklist “{template.name}” v{template.version} failed: {', '.join(failed)}",
        now=completion.signed_at)
    return call.pk
