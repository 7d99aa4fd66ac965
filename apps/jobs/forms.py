from __future__ import annotations

from django import forms

from apps.lines.models import Equipment, Product


class ScheduleForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True))
    quantity = forms.IntegerField(min_value=1)
    planned_start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    planned_end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    equipment = forms.ModelChoiceField(queryset=Equipment.objects.none(), required=False,
                                       empty_label="Primary machine of the line")
    assigned_to = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone on the line")
    notes = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, line, **kwargs):
        from django.contrib.auth import get_user_model

        from apps.jobs.selectors import line_operators

        super().__init__(*args, **kwargs)
        self.line = line
        self.fields["equipment"].queryset = Equipment.objects.filter(line=line, active=True)
        ids = [u.pk for u in line_operators(line=line)]
        self.fields["assigned_to"].queryset = get_user_model().objects.filter(pk__in=ids).order_by("username")

    def clean(self):
        data = super().clean()
        # datetime-local inputs carry no zone: they are the site's local time.
        tz = self.line.area.site.tz
        for key in ("planned_start", "planned_end"):
            value = data.get(key)
            if value is not None:
                data[key] = value.replace(tzinfo=None).replace(tzinfo=tz) if value.tzinfo else value.replace(tzinfo=tz)
        return data
