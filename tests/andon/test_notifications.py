"""Notification channels against real loopback servers: SMTP (aiosmtpd), a Web Push endpoint, an SMS gateway that
times out, a webhook receiver. A failing channel is recorded and retried with backoff; the others and the call's
lifecycle carry on."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from email import message_from_bytes, policy

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings
from django.urls import reverse

from apps.andon import services
from apps.andon.models import AndonCallEvent, AndonNotification, PushSubscription, VapidKey
from tests.andon.servers import HttpEndpoint, SmtpSink
from tests.factories.accounts import UserFactory
from tests.factories.andon import EscalationLevelFactory, EscalationRuleFactory, WebhookFactory

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def smtp_settings(sink: SmtpSink):
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                             EMAIL_PORT=sink.port, EMAIL_USE_TLS=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def lead(line_a):
    return UserFactory(username="lead", role="maintenance", lines=[line_a], email="lead@plant.test",
                       phone="+4917000000")


def raise_with_level(line, *, users, channels, after_s=0):
    rule = EscalationRuleFactory(line=line)
    EscalationLevelFactory(rule=rule, number=1, after_s=after_s, users=users, channels=channels)
    services.andon_categories_ensure(line_id=line.pk)
    return services.andon_call_raise(line_id=line.pk, category="maintenance", now=T0)


def deliver_all(ids, now):
    return {AndonNotification.objects.get(pk=i).channel: services.andon_notification_deliver(notification_id=i, now=now)
            for i in ids}


def test_email_reaches_a_real_smtp_server_once(line_a, lead):
    call = raise_with_level(line_a, users=[lead], channels=["email"])
    with SmtpSink() as sink, smtp_settings(sink):
        result = services.andon_escalate_due(now=T0)
        assert len(result.notification_ids) == 1
        nid = result.notification_ids[0]
        assert services.andon_notification_deliver(notification_id=nid, now=T0) == "sent"
        assert services.andon_notification_deliver(notification_id=nid, now=T0) is None  # already sent: nothing
        messages = sink.wait_for(1)
    assert len(messages) == 1
    mail_from, rcpt, content = messages[0]
    assert rcpt == ["lead@plant.test"]
    msg = message_from_bytes(content, policy=policy.default)
    assert call.title in msg["Subject"] and "High" in msg["Subject"]
    assert reverse("andon:board", args=[line_a.pk]) in msg.get_content()


def test_sms_gateway_that_times_out_is_recorded_and_retried_and_other_channels_unaffected(line_a, lead, supervisor):
    call = raise_with_level(line_a, users=[lead], channels=["in_app", "email", "sms"])
    with SmtpSink() as sink, smtp_settings(sink), HttpEndpoint(status=200, delay=3) as gateway, \
            override_settings(ANDON_SMS_GATEWAY_URL=gateway.url + "/sms", ANDON_SMS_GATEWAY_TOKEN="tok",
                              ANDON_HTTP_TIMEOUT_S=1):
        ids = services.andon_escalate_due(now=T0).notification_ids
        outcome = deliver_all(ids, T0)
        assert outcome == {"in_app": "sent", "email": "sent", "sms": "retry"}
        assert len(sink.wait_for(1)) == 1
        sms = AndonNotification.objects.get(call=call, channel="sms")
        assert sms.attempts == 1 and "Timeout" in sms.last_error
        assert sms.next_attempt_at == T0 + dt.timedelta(seconds=30)  # first backoff step
        assert AndonCallEvent.objects.filter(call=call, kind="notify_failed").count() == 1
        # The gateway received the documented request before it hung.
        request = gateway.requests[0]
        assert request["headers"]["authorization"] == "Bearer tok"
        body = json.loads(request["body"])
        assert body["to"] == "+4917000000" and body["reference"] == f"andon-{sms.pk}" and call.title in body["text"]

        # The lifecycle is not blocked by the failing channel.
        services.andon_call_acknowledge(call_id=call.pk, user=supervisor, now=T0 + dt.timedelta(seconds=5))

        # Not due before the backoff has passed; sent on the retry once the gateway answers in time.
        assert services.andon_notification_deliver(notification_id=sms.pk,
                                                   now=T0 + dt.timedelta(seconds=29)) is None
        assert sms.pk in services.andon_notifications_due(now=T0 + dt.timedelta(seconds=30))
        gateway.delay = 0
        assert services.andon_notification_deliver(notification_id=sms.pk,
                                                   now=T0 + dt.timedelta(seconds=30)) == "sent"
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("sent", 2)
    assert len(sink.messages) == 1  # the e-mail was not sent again by the SMS retry


def test_backoff_grows_and_gives_up_after_max_attempts(line_a, lead):
    raise_with_level(line_a, users=[lead], channels=["sms"])
    with HttpEndpoint(status=503) as gateway, override_settings(ANDON_SMS_GATEWAY_URL=gateway.url):
        (nid,) = services.andon_escalate_due(now=T0).notification_ids
        now, waits = T0, []
        for _ in range(services.MAX_ATTEMPTS):
            status = services.andon_notification_deliver(notification_id=nid, now=now)
            row = AndonNotification.objects.get(pk=nid)
            waits.append((row.next_attempt_at - now).total_seconds())
            now = row.next_attempt_at
    assert status == "failed" and row.attempts == services.MAX_ATTEMPTS and "HTTP 503" in row.last_error
    assert waits[:4] == [30, 60, 120, 240]
    assert services.andon_notification_deliver(notification_id=nid, now=now + dt.timedelta(days=1)) is None


def test_sms_without_a_gateway_is_skipped_not_failed(line_a, lead):
    raise_with_level(line_a, users=[lead], channels=["sms"])
    with override_settings(ANDON_SMS_GATEWAY_URL=""):
        (nid,) = services.andon_escalate_due(now=T0).notification_ids
        assert services.andon_notification_deliver(notification_id=nid, now=T0) == "skipped"


def _client_keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return private, b64(public), os.urandom(16)


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_our_vapid_key(client, line_a, lead):
    import http_ece

    private, p256dh, auth = _client_keys()
    with HttpEndpoint(status=201) as push_service:
        client.force_login(lead)
        key = client.get(reverse("andon:push_key")).json()["public_key"]
        response = client.post(reverse("andon:push_subscribe"), data=json.dumps(
            {"endpoint": push_service.url + "/push/abc", "keys": {"p256dh": p256dh, "auth": b64(auth)}}),
            content_type="application/json")
        assert response.status_code == 201
        call = raise_with_level(line_a, users=[lead], channels=["webpush"])
        (nid,) = services.andon_escalate_due(now=T0).notification_ids
        assert services.andon_notification_deliver(notification_id=nid, now=T0) == "sent"
    assert len(push_service.requests) == 1
    request = push_service.requests[0]
    assert request["path"] == "/push/abc"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    authorization = request["headers"]["authorization"]
    assert authorization.startswith("vapid t=") and f"k={key}" in authorization
    payload = json.loads(http_ece.decrypt(request["body"], private_key=private, auth_secret=auth,
                                          version="aes128gcm"))
    assert call.title in payload["title"] and payload["tag"] == f"andon-{call.pk}"
    assert VapidKey.objects.count() == 1  # generated once, reused
    assert services.vapid_key_ensure().public_key == key


def test_a_gone_push_subscription_is_deactivated_and_not_retried(line_a, lead):
    _, p256dh, auth = _client_keys()
    with HttpEndpoint(status=410) as push_service:
        sub = services.push_subscription_save(user=lead, endpoint=push_service.url + "/gone", p256dh=p256dh,
                                              auth=b64(auth))
        raise_with_level(line_a, users=[lead], channels=["webpush"])
        (nid,) = services.andon_escalate_due(now=T0).notification_ids
        assert services.andon_notification_deliver(notification_id=nid, now=T0) == "failed"
    sub.refresh_from_db()
    assert sub.active is False
    assert PushSubscription.objects.filter(active=True).count() == 0


def test_webhook_is_signed_with_hmac_of_the_body(line_a, lead):
    with HttpEndpoint(status=204) as receiver:
        WebhookFactory(url=receiver.url + "/hook", secret="s3cret", line=line_a)
        WebhookFactory(url=receiver.url + "/other-line", secret="x", line=None, active=False)
        call = raise_with_level(line_a, users=[], channels=["webhook"])
        (nid,) = services.andon_escalate_due(now=T0).notification_ids
        assert services.andon_notification_deliver(notification_id=nid, now=T0) == "sent"
    (request,) = receiver.requests
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["x-ms5-signature"] == expected
    body = json.loads(request["body"])
    assert (body["call_id"], body["level"], body["line"]) == (call.pk, "ack:1", line_a.code)


def test_preferences_turn_channels_off_and_filter_by_priority(line_a, lead):
    services.notification_preference_save(user=lead, email=False, webpush=True, sms=True, min_priority="low")
    other = UserFactory(username="picky", role="maintenance", lines=[line_a], phone="+491")
    services.notification_preference_save(user=other, email=True, webpush=True, sms=True, min_priority="critical")
    call = raise_with_level(line_a, users=[lead, other], channels=["email", "sms"])  # a high-priority call
    services.andon_escalate_due(now=T0)
    rows = set(AndonNotification.objects.filter(call=call).values_list("channel", "user__username"))
    assert rows == {("sms", "lead")}  # lead: no e-mail; picky: only critical calls
    with pytest.raises(services.AndonError):
        services.notification_preference_save(user=lead, email=True, webpush=True, sms=True, min_priority="urgent")
