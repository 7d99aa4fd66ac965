"""Forms and inline formsets of the plant-model admin.

They add only the checks a single model's ``clean()`` cannot make: checks across the rows of one formset (shift
overlaps, one primary machine, duplicate codes) and checks against a parent that is not saved yet (a new PLC
connection's driver). Everything else is model validation, which model forms run anyway.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from apps.lines import models
from apps.lines.addresses import address_error
from apps.lines.choices import Weekday
from apps.lines.validation import ShiftShape, break_error, shift_overlap_errors


def _live_forms(formset):
    """Forms of a formset that will be saved: valid, filled in and not marked for deletion."""
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if data and not data.get("DELETE"):
            yield form


class TagMapForm(forms.ModelForm):
    class Meta:
        model = models.TagMap
        fields = ["equipment", "connection", "signal", "address", "data_type", "scale", "offset"]

    def clean(self):
        data = super().clean()
        connection, address = data.get("connection"), data.get("address")
        # TagMap.clean() checks the address against the saved connection. When the connection is being added in
        # the same form (a tag inline under a new connection), it has no id yet, so check against the driver that
        # was chosen on the page.
        if connection is not None and connection.pk is None and address:
            if message := address_error(connection.driver, address):
                self.add_error("address", message)
        return data


class WeekdaysField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", Weekday.choices)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(coerce=int, **kwargs)

    def prepare_value(self, value):
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else value


class ShiftForm(forms.ModelForm):
    weekdays = WeekdaysField(help_text="Days the shift starts on (a night shift belongs to the day it starts).")

    class Meta:
        model = models.Shift
        fields = ["pattern", "code", "name", "start_time", "end_time", "weekdays"]


class ShiftStandaloneForm(ShiftForm):
    """A shift edited on its own page: it must not overlap the other shifts of its pattern."""

    def clean(self):
        data = super().clean()
        pattern = data.get("pattern")
        if pattern is None or not all(data.get(k) is not None for k in ("code", "start_time", "end_time")):
            return data
        shapes = [ShiftShape(pk=s.pk, code=s.code, start_time=s.start_time, end_time=s.end_time, weekdays=s.weekdays)
                  for s in pattern.shifts.exclude(pk=self.instance.pk)]
        shapes.append(ShiftShape(pk=0, code=data["code"], start_time=data["start_time"], end_time=data["end_time"],
                                 weekdays=data.get("weekdays") or []))
        if messages := shift_overlap_errors(shapes, tz=pattern.line.area.site.tz):
            raise ValidationError(messages)
        return data


class ShiftInlineFormSet(BaseInlineFormSet):
    """The shifts of one pattern, checked together: no two may overlap in the site's time zone."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        pattern = self.instance
        if not pattern.line_id:
            return
        shapes = []
        for index, form in enumerate(_live_forms(self)):
            d = form.cleaned_data
            if d.get("start_time") is None or d.get("end_time") is None:
                continue
            shapes.append(ShiftShape(pk=-(index + 1), code=d.get("code"), start_time=d["start_time"],
                                     end_time=d["end_time"], weekdays=d.get("weekdays") or []))
        if messages := shift_overlap_errors(shapes, tz=pattern.line.area.site.tz):
            raise ValidationError(messages)


class ShiftBreakInlineFormSet(BaseInlineFormSet):
    """Breaks must lie inside their shift (after midnight for a night shift)."""

    def clean(self):
        super().clean()
        shift = self.instance
        if shift.start_time is None or shift.end_time is None:
            return
        for form in _live_forms(self):
            d = form.cleaned_data
            if d.get("start_time") and d.get("end_time"):
                if message := break_error(shift.start_time, shift.end_time, d["start_time"], d["end_time"]):
                    form.add_error("start_time", message)


class EquipmentInlineFormSet(BaseInlineFormSet):
    """At most one primary (constraint) machine per line; the database would refuse a second one less kindly."""

    def clean(self):
        super().clean()
        primaries = [f for f in _live_forms(self) if f.cleaned_data.get("is_primary")]
        if len(primaries) > 1:
            codes = ", ".join(f.cleaned_data.get("code", "?") for f in primaries)
            raise ValidationError(f"Only one machine per line can be the primary (constraint) machine: {codes}.")


class DowntimeReasonInlineForm(forms.ModelForm):
    class Meta:
        model = models.DowntimeReason
        fields = ["code", "name", "active"]

    def clean(self):
        data = super().clean()
        line_id, code = self.instance.line_id, data.get("code")
        # The line comes from the category (set by the formset), so the form's own uniqueness check cannot see it.
        if line_id and code and models.DowntimeReason.objects.filter(line_id=line_id, code=code).exclude(
                pk=self.instance.pk).exists():
            self.add_error("code", f"Line already has a reason with code {code}.")
        return data


class DowntimeReasonInlineFormSet(BaseInlineFormSet):
    """Reasons under a category take the category's line; codes are unique per line."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.line_id = self.instance.line_id
        return form

    def clean(self):
        super().clean()
        seen = set()
        for form in _live_forms(self):
            code = form.cleaned_data.get("code")
            if code in seen:
                form.add_error("code", f"Reason code {code} is listed twice.")
            seen.add(code)


class IdealCycleTimeInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in _live_forms(self):
            d = form.cleaned_data
            key = (d.get("line"), d.get("equipment"))
            if key in seen:
                form.add_error(None, "This product already has a cycle time for this line/equipment above.")
            seen.add(key)
