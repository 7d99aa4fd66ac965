"""Pre-start checklists: versioned templates (per line, optionally per equipment and/or product) and signed,
immutable completions.

Only ``apps/checklists/services.py`` writes these rows. A template is never edited in place once saved: revising
it creates the next version of the same ``code`` and deactivates the previous one, so a completion always points
at exactly the questions that were answered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.checklists.choices import ItemKind
from apps.lines.models import Equipment, Line, Product


class ChecklistTemplate(models.Model):
    """One version of a checklist. ``code`` names the checklist across its versions."""

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="checklist_templates")
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  help_text="Empty: for the whole line.")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                help_text="Empty: for every product.")
    code = models.CharField(max_length=60, help_text="Names the checklist across its versions.")
    name = models.CharField(max_length=160)
    version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True, help_text="Only the newest version is active.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["line", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="checklist_template_version_unique"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(active=True),
                                    name="checklist_template_one_active_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    """One question of a template version."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    label = models.CharField(max_length=200)
    required = models.BooleanField(default=True)
    min_value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    choices = models.JSONField(default=list, blank=True, help_text="Select: the options, as a list of strings.")
    pass_choices = models.JSONField(default=list, blank=True,
                                    help_text="Select: options that pass (empty = every option passes).")

    class Meta:
        ordering = ["template", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "position"], name="checklist_item_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"


class ChecklistCompletion(models.Model):
    """A signed checklist. Immutable: the services never update one, ``save()`` refuses to, and ``content_hash``
    (SHA-256 over the canonical JSON of answers, template version, signer and time) exposes any later change."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="completions")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="checklist_completions")
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    shift_key = models.CharField(max_length=80, help_text="The shift instance it was completed in.")
    answers = models.JSONField(help_text="Item id (as text) → answer; photos by SHA-256, signature as PNG data.")
    passed = models.BooleanField()
    failed_items = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64)
    andon_call_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["line", "shift_key"]), models.Index(fields=["line", "signed_at"])]

    def __str__(self) -> str:
        return f"{self.template} signed by {self.signer} at {self.signed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("A completed checklist is immutable.")
        return super().save(*args, **kwargs)


class ChecklistPhoto(models.Model):
    """A photo answer: stored in the database (small, checked type and size), referenced from the answers by its
    SHA-256 so the completion hash covers the picture itself."""

    sha256 = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
