from __future__ import annotations

import base64
import io

import factory
from factory.django import DjangoModelFactory

from apps.checklists import models
from tests.factories.lines import LineFactory

DEFAULT_ITEMS = [
    {"kind": "checkbox", "label": "Guards closed", "required": True},
    {"kind": "number", "label": "Air pressure", "min_value": "5.5", "max_value": "7.0", "unit": "bar"},
    {"kind": "select", "label": "Film roll", "choices": ["OK", "Low", "Empty"], "pass_choices": ["OK", "Low"]},
    {"kind": "text", "label": "Remarks", "required": False},
]


def png_bytes(width: int = 4, height: int = 2) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


def signature_data() -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes()).decode()


class ChecklistTemplateFactory(DjangoModelFactory[models.ChecklistTemplate]):
    """Created through the service: ``items`` is a list of item dicts (default: DEFAULT_ITEMS)."""

    class Meta:
        model = models.ChecklistTemplate

    line = factory.SubFactory(LineFactory)
    code = factory.Sequence(lambda n: f"PRESTART-{n}")
    name = "Pre-start check"
    items = factory.LazyFunction(lambda: [dict(i) for i in DEFAULT_ITEMS])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.checklists.services import checklist_template_create

        return checklist_template_create(**kwargs)


def passing_answers(template) -> dict:
    answers = {}
    for item in template.items.all():
        key = str(item.pk)
        if item.kind == "checkbox":
            answers[key] = "on"
        elif item.kind == "number":
            answers[key] = str(item.min_value if item.min_value is not None else 1)
        elif item.kind == "select":
            answers[key] = (item.pass_choices or item.choices)[0]
        elif item.kind == "text":
            answers[key] = "all fine"
        elif item.kind == "signature":
            answers[key] = signature_data()
    return answers


def completion_on_line(line, **kwargs):
    """A signed completion on ``line`` by a fresh operator, for tests and the access matrix."""
    from apps.accounts.services import user_set_pin
    from apps.checklists.services import checklist_complete
    from tests.factories.accounts import UserFactory

    template = ChecklistTemplateFactory(line=line)
    signer = user_set_pin(user=UserFactory(role="operator", lines=[line]), pin="2468",
                          badge_number=f"CK-{template.pk}")
    return checklist_complete(template_id=template.pk, line=line, signer=signer, pin="2468",
                              answers=passing_answers(template), signature=signature_data(), **kwargs)
