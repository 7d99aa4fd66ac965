"""Checklist admin: templates are created and edited here, but every save goes through the services, so editing
creates the next version (completions keep theirs). Completions are view-only, with their integrity check."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from apps.checklists.models import ChecklistCompletion, ChecklistTemplate
from apps.checklists.services import (
    checklist_completion_verify, checklist_items_clean, checklist_template_create, checklist_template_revise,
)
from ms5.admin_mixins import ReadOnlyAdminMixin

ITEMS_HELP = ('A JSON list of items, e.g. [{"kind": "checkbox", "label": "Guards closed"}, {"kind": "number", '
              '"label": "Air pressure", "min_value": 5.5, "max_value": 7, "unit": "bar"}, {"kind": "select", '
              '"label": "Film", "choices": ["OK", "Low", "Empty"], "pass_choices": ["OK", "Low"]}, {"kind": "text", '
              '"label": "Remarks", "required": false}, {"kind": "photo", "label": "Jaw"}, {"kind": "signature", '
              '"label": "Second person"}]. Saving an existing checklist creates its next version.')


def _items_as_json(template: ChecklistTemplate) -> str:
    rows = []
    for item in template.items.all():
        row = {"kind": item.kind, "label": item.label, "required": item.required}
        if item.min_value is not None:
            row["min_value"] = str(item.min_value)
        if item.max_value is not None:
            row["max_value"] = str(item.max_value)
        for key in ("unit", "choices", "pass_choices"):
            if getattr(item, key):
                row[key] = getattr(item, key)
        rows.append(row)
    return json.dumps(rows, indent=2, ensure_ascii=False)


class TemplateForm(forms.ModelForm):
    items_json = forms.CharField(label="Items", widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
                                 help_text=ITEMS_HELP)

    class Meta:
        model = ChecklistTemplate
        fields = ["line", "equipment", "product", "code", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["items_json"].initial = _items_as_json(self.instance)

    def clean_items_json(self):
        try:
            items = json.loads(self.cleaned_data["items_json"])
        except json.JSONDecodeError as exc:
            raise ValidationError(f"Not valid JSON: {exc}") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValidationError("Give a JSON list of objects.")
        return checklist_items_clean(items)


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ["code", "name", "version", "active", "line", "equipment", "product", "created_at"]
    list_filter = ["active", "line"]
    search_fields = ["code", "name"]
    readonly_fields = ["version", "active", "created_at", "created_by", "items_table"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "line", "equipment", "product", "code"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.active:
            return False  # old versions are history
        return super().has_change_permission(request, obj)

    @admin.display(description="Items of this version")
    def items_table(self, obj):
        return format_html("<ol>{}</ol>", format_html_join(
            "", "<li>{} ({}{})</li>",
            ((i.label, i.get_kind_display(), ", required" if i.required else "") for i in obj.items.all())))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                new = checklist_template_revise(template=ChecklistTemplate.objects.get(pk=obj.pk),
                                                items=data["items_json"], name=data["name"], user=request.user)
            else:
                new = checklist_template_create(line=data["line"], equipment=data.get("equipment"),
                                                product=data.get("product"), code=data["code"], name=data["name"],
                                                items=data["items_json"], user=request.user)
        except ValidationError as exc:
            # Validated again by the service; show its message and keep the stored version unchanged.
            messages.error(request, " ".join(exc.messages))
            raise _Abort() from None
        obj.pk = new.pk
        obj.__dict__.update({k: v for k, v in new.__dict__.items() if not k.startswith("_")})
        messages.info(request, f"Saved as version {new.version}.")

    def save_related(self, request, form, formsets, change):
        pass  # items are written by the service

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Abort:
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)


class _Abort(Exception):
    pass


@admin.register(ChecklistCompletion)
class ChecklistCompletionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["signed_at", "line", "template", "signer", "passed", "integrity"]
    list_filter = ["passed", "line"]
    date_hierarchy = "signed_at"
    readonly_fields = ["template", "line", "equipment", "product", "signer", "signed_at", "shift_key", "passed",
                       "failed_items", "answers_text", "content_hash", "integrity", "andon_call_id"]
    exclude = ["answers"]


    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template", "signer", "line")

    @admin.display(description="Integrity")
    def integrity(self, obj):
        if checklist_completion_verify(completion=obj):
            return format_html('<span style="color:#15803d">{}</span>', "hash verified")
        return format_html('<strong style="color:#b91c1c">{}</strong>', "HASH MISMATCH — changed after signing")

    @admin.display(description="Answers")
    def answers_text(self, obj):
        shown = {k: (v[:40] + "…" if isinstance(v, str) and v.startswith("data:") else v)
                 for k, v in obj.answers.items()}
        return json.dumps(shown, indent=1, ensure_ascii=False)
