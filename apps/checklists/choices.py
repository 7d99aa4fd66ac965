from django.db import models


class ItemKind(models.TextChoices):
    CHECKBOX = "checkbox", "Checkbox (must be ticked to pass)"
    NUMBER = "number", "Number with limits"
    TEXT = "text", "Text"
    SELECT = "select", "Select one"
    PHOTO = "photo", "Photo"
    SIGNATURE = "signature", "Signature"
