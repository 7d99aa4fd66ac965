from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError


class KioskLoginForm(forms.Form):
    """Badge number + PIN, for station tablets. Authentication goes through django-axes (lockout)."""

    badge = forms.CharField(max_length=32, label="Badge number",
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                                          "autofocus": True}))
    pin = forms.CharField(max_length=8, label="PIN",
                          widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        badge = self.cleaned_data.get("badge", "").strip()
        pin = self.cleaned_data.get("pin", "")
        if badge and pin:
            self.user = authenticate(self.request, badge=badge, pin=pin)
            if self.user is None:
                raise ValidationError("That badge number and PIN do not match an active user.", code="invalid")
        return self.cleaned_data
