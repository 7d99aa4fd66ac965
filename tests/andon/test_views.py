"""Andon views: who may raise, acknowledge, resolve and cancel; the kiosk buttons; refusals shown in the panel."""

from __future__ import annotations

import io
import wave

import pytest
from django.urls import reverse

from apps.andon import services
from apps.andon.models import AndonCall
from tests.factories.accounts import UserFactory


@pytest.fixture
def call(line_a, operator):
    services.andon_categories_ensure(line_id=line_a.pk)
    return services.andon_call_raise(line_id=line_a.pk, category="maintenance", user=operator)


@pytest.fixture
def roles(line_a):
    return {role: UserFactory(username=f"v-{role}", role=role, lines=[line_a])
            for role in ("operator", "maintenance", "quality", "engineer", "shift_manager", "viewer")}


RESPONDERS = {"maintenance", "quality", "engineer", "shift_manager"}


@pytest.mark.parametrize("action", ["acknowledge", "escalate"])
def test_only_responders_may_acknowledge_and_escalate(client, call, roles, action):
    for role, user in roles.items():
        AndonCall.objects.filter(pk=call.pk).update(status="open", ack_level=0)
        client.force_login(user)
        response = client.post(reverse(f"andon:{action}", args=[call.pk]))
        assert response.status_code == (200 if role in RESPONDERS else 404), (role, response.status_code)


def test_only_responders_may_resolve(client, call, roles):
    for role, user in roles.items():
        AndonCall.objects.filter(pk=call.pk).update(status="acknowledged")
        client.force_login(user)
        response = client.post(reverse("andon:resolve", args=[call.pk]), {"notes": "Fixed", "root_cause": "Belt"})
        assert response.status_code == (200 if role in RESPONDERS else 404), (role, response.status_code)
        if role in RESPONDERS:
            assert AndonCall.objects.get(pk=call.pk).status == "resolved"


def test_cancel_by_responder_or_by_the_raiser_only(client, call, operator, roles):
    client.force_login(roles["operator"])  # raise_andon, but another operator raised this call
    response = client.post(reverse("andon:cancel", args=[call.pk]))
    assert response.status_code == 403 and b"Only the person who raised this call" in response.content
    client.force_login(roles["viewer"])
    assert client.post(reverse("andon:cancel", args=[call.pk])).status_code == 404
    client.force_login(operator)  # the raiser
    assert client.post(reverse("andon:cancel", args=[call.pk]), {"reason": "pressed by mistake"}).status_code == 200
    assert AndonCall.objects.get(pk=call.pk).status == "cancelled"
    other = services.andon_call_raise(line_id=call.line_id, category="quality", user=operator)
    client.force_login(roles["shift_manager"])
    assert client.post(reverse("andon:cancel", args=[other.pk])).status_code == 200


def test_responder_of_another_line_gets_404(client, call, line_b):
    stranger = UserFactory(username="sm-b", role="shift_manager", lines=[line_b])
    client.force_login(stranger)
    for action in ("acknowledge", "resolve", "cancel", "escalate"):
        assert client.post(reverse(f"andon:{action}", args=[call.pk])).status_code == 404
    assert client.get(reverse("andon:call", args=[call.pk])).status_code == 404
    assert AndonCall.objects.get(pk=call.pk).status == "open"


def test_kiosk_shows_big_category_buttons_and_raises_a_call(client, line_a, operator):
    client.force_login(operator)
    panel = client.get(reverse("andon:panel", args=[line_a.pk]))
    html = panel.content.decode()
    for label in ("Maintenance", "Quality", "Material", "Safety", "Help"):
        assert f">{label}</button>" in html
    assert 'hx-disabled-elt="find button"' in html
    assert "Acknowledge" not in html  # operators raise, they do not respond
    response = client.post(reverse("andon:raise", args=[line_a.pk]), {"category": "material"})
    assert response.status_code == 200 and response["HX-Trigger"] == "ms5:andon-changed"
    assert "Material — Line A" in response.content.decode()
    # A double tap updates the same call instead of raising a second one.
    client.post(reverse("andon:raise", args=[line_a.pk]), {"category": "material"})
    call = AndonCall.objects.get()
    assert call.repeat_count == 1 and call.raised_by == operator


def test_refusals_are_shown_in_the_panel(client, call, supervisor):
    client.force_login(supervisor)
    assert client.post(reverse("andon:acknowledge", args=[call.pk])).status_code == 200
    again = client.post(reverse("andon:acknowledge", args=[call.pk]))
    assert again.status_code == 409 and "already acknowledged" in again.content.decode()
    bad = client.post(reverse("andon:raise", args=[call.line_id]), {"category": "coffee"})
    assert bad.status_code == 400 and "not an Andon category" in bad.content.decode()
    no_notes = client.post(reverse("andon:resolve", args=[call.pk]), {"notes": ""})
    assert no_notes.status_code == 400 and "notes are required" in no_notes.content.decode()


def test_changes_need_post(client, call, supervisor):
    client.force_login(supervisor)
    for action in ("acknowledge", "resolve", "cancel", "escalate"):
        assert client.get(reverse(f"andon:{action}", args=[call.pk])).status_code == 405
    assert client.get(reverse("andon:raise", args=[call.line_id])).status_code == 405


def test_tv_board_and_its_calls_partial(client, call, operator):
    client.force_login(operator)
    page = client.get(reverse("andon:board", args=[call.line_id])).content.decode()
    assert f'ws-connect="/ws/lines/{call.line_id}/"' in page and reverse("andon:chime") in page
    assert "ms5:andon-changed from:body" in page
    calls = client.get(reverse("andon:board_calls", args=[call.line_id])).content.decode()
    assert f'data-call-ids="{call.pk} "' in calls and call.title in calls and "data-since" in calls


def test_chime_is_a_valid_wav(client, operator):
    client.force_login(operator)
    response = client.get(reverse("andon:chime"))
    assert response["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as wav:
        assert wav.getnchannels() == 1 and wav.getframerate() == 16000
        assert 0.4 < wav.getnframes() / wav.getframerate() < 1.0


def test_call_timeline_page(client, call, supervisor):
    services.andon_call_acknowledge(call_id=call.pk, user=supervisor)
    client.force_login(supervisor)
    html = client.get(reverse("andon:call", args=[call.pk])).content.decode()
    assert "Raised" in html and "Acknowledged by" in html


def test_kpi_partial_for_managers(client, call, manager):
    client.force_login(manager)
    response = client.get(reverse("andon:kpis", args=[call.line_id]))
    assert response.status_code == 200 and "1 call" in response.content.decode()


def test_push_subscribe_refuses_garbage_and_preferences_save(client, operator):
    client.force_login(operator)
    bad = client.post(reverse("andon:push_subscribe"), data="not json", content_type="application/json")
    assert bad.status_code == 400
    response = client.post(reverse("andon:preferences"), {"email": "on", "min_priority": "high"})
    assert response.status_code == 200
    pref = operator.andon_prefs
    assert (pref.email, pref.webpush, pref.sms, pref.min_priority) == (True, False, False, "high")
    assert client.post(reverse("andon:preferences"), {"min_priority": "urgent"}).status_code == 400


def test_service_worker_is_served_as_javascript(client):
    response = client.get(reverse("andon:service_worker"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert b"showNotification" in response.content
