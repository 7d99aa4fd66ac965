"""Reads of checklists: which template applies, whether the gate is open, and completions for reports."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from apps.checklists.models import ChecklistCompletion, ChecklistTemplate
from apps.checklists.services import SIGNATURE_KEY, completion_hash, shift_key_at


def applicable_template(*, line_id: int, equipment_id: int | None, product_id: int | None) -> ChecklistTemplate | None:
    """The active checklist for this line/equipment/product: the most specific one (equipment and product, then
    product, then equipment, then the whole line)."""
    candidates = (ChecklistTemplate.objects.filter(line_id=line_id, active=True)
                  .filter(Q(equipment__isnull=True) | Q(equipment_id=equipment_id))
                  .filter(Q(product__isnull=True) | Q(product_id=product_id))
                  .prefetch_related("items"))

    def rank(t: ChecklistTemplate) -> tuple:
        return (t.product_id is not None, t.equipment_id is not None, t.pk)

    return max(candidates, key=rank, default=None)


def gate_completion(*, line, template: ChecklistTemplate, product_id: int | None, at: dt.datetime):
    """The latest completion of ``template``'s checklist (any version) for this product in the shift instance at
    ``at``, or None. The job may start only if it exists and passed."""
    return (ChecklistCompletion.objects.filter(line=line, template__code=template.code,
                                               shift_key=shift_key_at(line, at))
            .filter(Q(product__isnull=True) | Q(product_id=product_id))
            .select_related("signer", "template").order_by("-signed_at", "-id").first())


def completion_detail(*, completion_id: int, line_id: int) -> ChecklistCompletion:
    return (ChecklistCompletion.objects.select_related("template", "signer", "line", "equipment", "product")
            .prefetch_related("template__items").get(pk=completion_id, line_id=line_id))


def completion_rows(completion: ChecklistCompletion) -> list[dict]:
    """Question and answer rows for display (the signature separately)."""
    rows = []
    for item in completion.template.items.all():
        rows.append({"item": item, "answer": completion.answers.get(str(item.pk)),
                     "failed": item.label in completion.failed_items})
    return rows


def checklist_completions(*, line_ids, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Completions signed in [start, end) on these lines, oldest first, for reports. ``hash_ok`` is the tamper
    check (the stored hash recomputed from the stored content)."""
    qs = (ChecklistCompletion.objects
          .filter(line_id__in=list(line_ids), signed_at__gte=start, signed_at__lt=end)
          .select_related("template", "signer", "line", "equipment", "product").order_by("signed_at", "id"))
    result = []
    for c in qs:
        result.append({
            "id": c.pk, "line_id": c.line_id, "line_code": c.line.code,
            "template_code": c.template.code, "template_name": c.template.name,
            "template_version": c.template.version,
            "equipment_id": c.equipment_id, "equipment_code": c.equipment.code if c.equipment_id else None,
            "product_id": c.product_id, "product_code": c.product.code if c.product_id else None,
            "signer_id": c.signer_id, "signer_username": c.signer.username, "signer_name": str(c.signer),
            "signed_at": c.signed_at, "shift_key": c.shift_key, "passed": c.passed,
            "failed_items": list(c.failed_items), "content_hash": c.content_hash,
            "hash_ok": c.content_hash == completion_hash(c), "andon_call_id": c.andon_call_id,
            "signed": bool(c.answers.get(SIGNATURE_KEY)),
        })
    return result
