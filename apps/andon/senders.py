"""Channel senders: one function per channel, each given a recorded AndonNotification row. They raise on failure
(the caller records it and schedules a retry) and return "skipped" when the channel is not configured. Every
network call has a timeout (settings.ANDON_HTTP_TIMEOUT_S), so a hanging gateway cannot hold a worker for long.

The SMS gateway and webhook request/response formats are documented in docs/andon.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.urls import reverse

from apps.andon.choices import Channel
from apps.andon.models import AndonNotification, PushSubscription, Webhook


class Gone(Exception):
    """The push service says this subscription no longer exists (404/410): not retried."""


def _link(row: AndonNotification) -> str:
    return settings.ANDON_PUBLIC_URL.rstrip("/") + reverse("andon:board", args=[row.call.line_id])


def _text(row: AndonNotification) -> tuple[str, str]:
    call = row.call
    kind, _, number = row.level_key.partition(":")
    prefix = {"ack": "Andon", "resolve": "Andon still unresolved", "remind": "Andon reminder",
              "manual": "Andon escalated"}.get(kind, "Andon")
    subject = f"[{prefix} · {call.get_priority_display()}] {call.title}"
    body = (f"{call.title}\nLine: {call.line.name}\nCategory: {call.category or '-'}   Priority: "
            f"{call.get_priority_display()}   Status: {call.get_status_display()}\nOpened: "
            f"{call.opened_at:%Y-%m-%d %H:%M:%S} UTC\n\n{call.description}\n\nOpen the board: {_link(row)}\n")
    return subject[:200], body


def payload(row: AndonNotification) -> dict:
    call = row.call
    return {"event": "andon.notification", "call_id": call.pk, "line": call.line.code, "line_name": call.line.name,
            "title": call.title, "category": call.category, "priority": call.priority, "status": call.status,
            "level": row.level_key, "opened_at": call.opened_at.isoformat(), "url": _link(row)}


def send(row: AndonNotification) -> str:
    return SENDERS[row.channel](row)


def send_in_app(row: AndonNotification) -> str:
    from apps.lines import live

    live.nudge_on_commit(row.call.line_id, "ms5:andon-changed")  # autocommit here: sent at once
    return "sent"


def send_email(row: AndonNotification) -> str:
    if not row.user or not row.user.email:
        return "skipped"
    subject, body = _text(row)
    connection = get_connection(timeout=settings.ANDON_HTTP_TIMEOUT_S)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [row.user.email], connection=connection)
    return "sent"


def send_sms(row: AndonNotification) -> str:
    import requests

    url = settings.ANDON_SMS_GATEWAY_URL
    if not url or not row.user or not row.user.phone:
        return "skipped"
    subject, _ = _text(row)
    headers = {"Authorization": f"Bearer {settings.ANDON_SMS_GATEWAY_TOKEN}"} if settings.ANDON_SMS_GATEWAY_TOKEN else {}
    response = requests.post(url, json={"to": row.user.phone, "text": f"{subject} {_link(row)}"[:480],
                                        "reference": f"andon-{row.pk}"},
                             headers=headers, timeout=settings.ANDON_HTTP_TIMEOUT_S)
    if response.status_code >= 300:
        raise RuntimeError(f"SMS gateway answered HTTP {response.status_code}: {response.text[:120]}")
    return "sent"


def send_webpush(row: AndonNotification) -> str:
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    from apps.andon.services import vapid_key_ensure

    sub = PushSubscription.objects.filter(pk=int(row.recipient.split(":")[1]), active=True).first()
    if sub is None:
        return "skipped"
    subject, body = _text(row)
    data = json.dumps({"title": subject, "body": body.split("\n")[1], "url": _link(row), "tag": f"andon-{row.call_id}",
                       "sound": row.call.priority in ("high", "critical")})
    vapid = Vapid.from_pem(vapid_key_ensure().private_pem.encode())
    try:
        webpush({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}, data=data,
                vapid_private_key=vapid, vapid_claims={"sub": settings.ANDON_VAPID_CONTACT},
                timeout=settings.ANDON_HTTP_TIMEOUT_S, ttl=3600)
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            PushSubscription.objects.filter(pk=sub.pk).update(active=False)
            raise Gone(f"push subscription {sub.pk} is gone (HTTP {status})") from None
        raise RuntimeError(f"push service refused: HTTP {status}") from None
    return "sent"


def send_webhook(row: AndonNotification) -> str:
    import requests

    hook = Webhook.objects.filter(pk=int(row.recipient.split(":")[1]), active=True).first()
    if hook is None:
        return "skipped"
    body = json.dumps(payload(row), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-MS5-Event": "andon.notification"}
    if hook.secret:
        headers["X-MS5-Signature"] = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    response = requests.post(hook.url, data=body, headers=headers, timeout=settings.ANDON_HTTP_TIMEOUT_S)
    if response.status_code >= 300:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")
    return "sent"


SENDERS = {Channel.IN_APP: send_in_app, Channel.EMAIL: send_email, Channel.SMS: send_sms,
           Channel.WEBPUSH: send_webpush, Channel.WEBHOOK: send_webhook}
