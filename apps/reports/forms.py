from __future__ import annotations

import datetime as dt

from django import forms

from apps.reports.choices import SECTIONS, PageSize, ReportKind, Schedule

SECTION_CHOICES = list(SECTIONS.items())


class GenerateForm(forms.Form):
    """Generate a report for a window given in the site's local time (or a template's defaults)."""

    kind = forms.ChoiceField(choices=ReportKind.choices)
    start = forms.DateTimeField(help_text="Local time of the line's site.")
    end = forms.DateTimeField(help_text="Local time of the line's site (exclusive).")
    sections = forms.MultipleChoiceField(choices=SECTION_CHOICES, required=False,
                                         help_text="Empty: the kind's default sections.")
    page_size = forms.ChoiceField(choices=PageSize.choices, initial=PageSize.A4)
    template = forms.IntegerField(required=False)

    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz or dt.timezone.utc

    def _aware(self, value: dt.datetime) -> dt.datetime:
        # Django made the input aware in the *current* zone; re-read its wall-clock time in the site's zone.
        from django.utils import timezone

        naive = timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
        return naive.replace(tzinfo=self.tz).astimezone(dt.timezone.utc)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            data["start"], data["end"] = self._aware(data["start"]), self._aware(data["end"])
            if data["end"] <= data["start"]:
                self.add_error("end", "The end must be after the start.")
        return data


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ReportKind.choices)
    sections = forms.MultipleChoiceField(choices=SECTION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple)
    page_size = forms.ChoiceField(choices=PageSize.choices)
    schedule = forms.ChoiceField(choices=Schedule.choices)
    recipients = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(required=False, initial=True)


class HandoverForm(forms.Form):
    open_issues = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    risks = forms.CharField(required=False, label="Risks for the next shift", widget=forms.Textarea(attrs={"rows": 4}))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
