"""Checklist templates (versioned), signed completions: PIN, validation, photo and signature checks, the hash,
immutability and tamper detection, and the report selector."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.checklists.models import ChecklistCompletion, ChecklistPhoto, ChecklistTemplate
from apps.checklists.selectors import applicable_template, checklist_completions
from apps.checklists.services import (
    MAX_PHOTO_BYTES, canonical_payload, checklist_complete, checklist_completion_verify, checklist_template_create,
    checklist_template_revise,
)
from tests.factories.accounts import UserFactory
from tests.factories.checklists import ChecklistTemplateFactory, passing_answers, png_bytes, signature_data

T0 = dt.datetime(2026, 3, 10, 8, 0, 0, 123456, tzinfo=dt.timezone.utc)


@pytest.fixture
def signer(operator):
    from apps.accounts.services import user_set_pin

    return user_set_pin(user=operator, pin="4711", badge_number="B-2002")


@pytest.fixture
def template(line_a):
    return ChecklistTemplateFactory(line=line_a, items=[
        {"kind": "checkbox", "label": "Guards closed"},
        {"kind": "number", "label": "Air pressure", "min_value": "5.5", "max_value": "7.0", "unit": "bar"},
        {"kind": "select", "label": "Film roll", "choices": ["OK", "Low", "Empty"], "pass_choices": ["OK", "Low"]},
        {"kind": "text", "label": "Remarks", "required": False},
        {"kind": "photo", "label": "Sealing jaw", "required": False},
        {"kind": "signature", "label": "Second person", "required": False},
    ])


def complete(template, line, signer, *, pin="4711", at=T0, photos=None, signature=None, **overrides):
    answers = passing_answers(template)
    answers.update(overrides)
    return checklist_complete(template_id=template.pk, line=line, signer=signer, pin=pin, answers=answers,
                              signature=signature if signature is not None else signature_data(), photos=photos,
                              at=at)


def item(template, label):
    return str(template.items.get(label=label).pk)


def test_a_passing_completion_is_stored_with_signer_time_version_and_hash(template, line_a, signer):
    c = complete(template, line_a, signer)
    assert c.passed and c.failed_items == [] and c.signer == signer and c.signed_at == T0
    assert c.template.version == 1 and c.shift_key == f"{line_a.pk}:day:2026-03-10"
    assert c.answers["_signature"].startswith("data:image/png;base64,")
    expected = hashlib.sha256(canonical_payload(
        template_id=template.pk, template_code=template.code, template_version=1, line_id=line_a.pk,
        equipment_id=None, product_id=None, signer_id=signer.pk, signer_username=signer.username, signed_at=T0,
        answers=c.answers, passed=True, failed_items=[], shift_key=c.shift_key).encode()).hexdigest()
    assert c.content_hash == expected
    assert checklist_completion_verify(completion=c)


def test_canonical_json_is_independent_of_key_order():
    kwargs = dict(template_id=1, template_code="X", template_version=2, line_id=3, equipment_id=None, product_id=4,
                  signer_id=5, signer_username="op", signed_at=T0, passed=True, failed_items=[], shift_key="k")
    a = canonical_payload(answers={"1": True, "2": "6.0"}, **kwargs)
    b = canonical_payload(answers={"2": "6.0", "1": True}, **kwargs)
    assert a == b and json.loads(a)["signed_at"] == "2026-03-10T08:00:00.123456+00:00"


@pytest.mark.parametrize("field, value", [
    ("answers", "flip"), ("signed_at", T0 + dt.timedelta(seconds=1)), ("signer", "other"), ("template", "v2"),
    ("passed", False), ("failed_items", ["Guards closed"]), ("shift_key", "1:day:2026-03-11"),
])
def test_tampering_with_a_stored_completion_is_detected(template, line_a, signer, field, value):
    c = complete(template, line_a, signer)
    if value == "flip":
        answers = dict(c.answers)
        answers[item(template, "Air pressure")] = "9.9"
        ChecklistCompletion.objects.filter(pk=c.pk).update(answers=answers)
    elif value == "other":
        ChecklistCompletion.objects.filter(pk=c.pk).update(signer=UserFactory(username="forger"))
    elif value == "v2":
        v2 = checklist_template_revise(template=template, items=[{"kind": "checkbox", "label": "Only this"}])
        ChecklistCompletion.objects.filter(pk=c.pk).update(template=v2)
    else:
        ChecklistCompletion.objects.filter(pk=c.pk).update(**{field: value})
    assert not checklist_completion_verify(completion=c)
    [row] = checklist_completions(line_ids=[line_a.pk], start=T0 - dt.timedelta(days=1), end=T0 + dt.timedelta(days=1))
    assert row["hash_ok"] is False


def test_completions_are_immutable(template, line_a, signer):
    c = complete(template, line_a, signer)
    c.passed = False
    with pytest.raises(ValueError, match="immutable"):
        c.save()
    assert ChecklistCompletion.objects.get(pk=c.pk).passed


def test_wrong_pin_and_signers_without_access_are_refused(template, line_a, signer, outsider, line_b):
    with pytest.raises(ValidationError) as exc:
        complete(template, line_a, signer, pin="0000")
    assert exc.value.message_dict == {"pin": ["Wrong PIN."]}
    with pytest.raises(ValidationError, match="may not sign"):
        complete(template, line_a, outsider)
    other_line_template = ChecklistTemplateFactory(line=line_b)
    with pytest.raises(ValidationError, match="No such checklist"):
        complete(other_line_template, line_a, signer)
    assert not ChecklistCompletion.objects.exists()


def test_missing_and_malformed_answers_name_the_items(template, line_a, signer):
    with pytest.raises(ValidationError) as exc:
        complete(template, line_a, signer, **{item(template, "Air pressure"): "high",
                                              item(template, "Film roll"): "Purple"})
    errors = exc.value.message_dict
    assert errors[item(template, "Air pressure")] == ["'high' is not a number."]
    assert "not one of the options" in errors[item(template, "Film roll")][0]
    with pytest.raises(ValidationError) as exc:
        complete(template, line_a, signer, **{item(template, "Air pressure"): ""})
    assert exc.value.message_dict == {item(template, "Air pressure"): ["Enter a value."]}


@pytest.mark.parametrize("overrides, failed", [
    ({"Guards closed": ""}, ["Guards closed"]),
    ({"Air pressure": "7.01"}, ["Air pressure"]),
    ({"Air pressure": "5.5"}, []),
    ({"Film roll": "Empty"}, ["Film roll"]),
    ({"Film roll": "Low", "Air pressure": "3"}, ["Air pressure"]),
])
def test_failed_items(template, line_a, signer, overrides, failed):
    c = complete(template, line_a, signer, **{item(template, k): v for k, v in overrides.items()})
    assert c.failed_items == failed and c.passed is (not failed)
    assert c.andon_call_id is None  # raise_andon not asked for


def test_a_signature_is_required_and_must_be_png(template, line_a, signer):
    for bad in ("", "data:image/png;base64,!!!", "data:image/png;base64,aGVsbG8=", "data:image/jpeg;base64,/9j/"):
        with pytest.raises(ValidationError) as exc:
            complete(template, line_a, signer, signature=bad)
        assert "_signature" in exc.value.message_dict


def test_photo_type_and_size_are_checked_and_the_hash_covers_the_picture(template, line_a, signer, monkeypatch):
    key = item(template, "Sealing jaw")
    with pytest.raises(ValidationError, match="only JPEG or PNG"):
        complete(template, line_a, signer, photos={key: SimpleUploadedFile("x.png", b"GIF89a....", "image/png")})
    monkeypatch.setattr("apps.checklists.services.MAX_PHOTO_BYTES", 50)
    with pytest.raises(ValidationError, match="larger than"):
        complete(template, line_a, signer, photos={key: SimpleUploadedFile("big.png", png_bytes(64, 64))})
    monkeypatch.setattr("apps.checklists.services.MAX_PHOTO_BYTES", MAX_PHOTO_BYTES)
    data = png_bytes()
    c = complete(template, line_a, signer, photos={key: SimpleUploadedFile("ok.png", data, "image/png")})
    assert c.answers[key] == {"sha256": hashlib.sha256(data).hexdigest(), "type": "image/png", "size": len(data)}
    assert bytes(ChecklistPhoto.objects.get(sha256=c.answers[key]["sha256"]).data) == data


def test_editing_creates_a_new_version_and_old_completions_keep_theirs(template, line_a, signer):
    old = complete(template, line_a, signer)
    v2 = checklist_template_revise(template=template, items=[{"kind": "checkbox", "label": "Guards closed"}],
                                  name="Pre-start v2")
    template.refresh_from_db()
    assert (v2.version, v2.code, v2.active, template.active) == (2, template.code, True, False)
    assert old.template_id == template.pk and old.template.items.count() == 6 and v2.items.count() == 1
    assert checklist_completion_verify(completion=old)
    with pytest.raises(ValidationError, match="revised while you filled it in"):
        complete(template, line_a, signer)
    with pytest.raises(ValidationError, match="not the newest version"):
        checklist_template_revise(template=template, items=[{"kind": "text", "label": "x"}])
    assert applicable_template(line_id=line_a.pk, equipment_id=None, product_id=None) == v2


def test_template_validation(line_a):
    with pytest.raises(ValidationError) as exc:
        checklist_template_create(line=line_a, code="BAD", name="Bad", items=[
            {"kind": "dance", "label": "x"}, {"kind": "number", "label": "n", "min_value": "5", "max_value": "1"},
            {"kind": "select", "label": "s", "choices": ["one"]}, {"kind": "text", "label": ""}])
    text = " ".join(exc.value.messages)
    assert "Item 1: unknown type" in text and "Item 2: the lower limit" in text
    assert "Item 3: a select item needs" in text and "Item 4: a label" in text
    assert not ChecklistTemplate.objects.filter(code="BAD").exists()
    with pytest.raises(ValidationError, match="at least one item"):
        checklist_template_create(line=line_a, code="EMPTY", name="Empty", items=[])


def test_checklist_completions_selector_for_reports(template, line_a, line_b, signer):
    c = complete(template, line_a, signer, **{item(template, "Film roll"): "Empty"})
    complete(template, line_a, signer, at=T0 + dt.timedelta(days=2))
    [row] = checklist_completions(line_ids=[line_a.pk, line_b.pk], start=T0, end=T0 + dt.timedelta(hours=1))
    assert row["id"] == c.pk and row["passed"] is False and row["failed_items"] == ["Film roll"]
    assert row["hash_ok"] is True and row["template_version"] == 1 and row["signer_username"] == signer.username
    assert row["signed"] is True
    assert checklist_completions(line_ids=[line_b.pk], start=T0, end=T0 + dt.timedelta(hours=1)) == []


def test_a_failed_checklist_can_raise_an_andon_call(template, line_a, signer):
    from apps.andon.models import AndonCall

    answers = passing_answers(template)
    answers[item(template, "Guards closed")] = ""
    c = checklist_complete(template_id=template.pk, line=line_a, signer=signer, pin="4711", answers=answers,
                           signature=signature_data(), at=T0, raise_andon=True)
    call = AndonCall.objects.get(pk=c.andon_call_id)
    assert call.line_id == line_a.pk and call.category == "quality" and "Guards closed" in call.description
    assert checklist_completion_verify(completion=c)
    ok = checklist_complete(template_id=template.pk, line=line_a, signer=signer, pin="4711",
                            answers=passing_answers(template), signature=signature_data(), at=T0, raise_andon=True)
    assert ok.andon_call_id is None and AndonCall.objects.count() == 1
