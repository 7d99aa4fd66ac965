"""/healthz part "beat": the age of the escalation task's heartbeat. Required only when settings.BEAT_EXPECTED."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from ms5.health import CheckResult, register


@register("beat")
def check_beat() -> CheckResult:
    from apps.andon.models import BeatHeartbeat

    required = settings.BEAT_EXPECTED
    row = BeatHeartbeat.objects.filter(name="andon.escalate_due").first()
    if row is None:
        return CheckResult(False, "no beat heartbeat yet (is celery beat running?)", required=required)
    age = (timezone.now() - row.last_run_at).total_seconds()
    limit = settings.BEAT_HEARTBEAT_MAX_AGE_S
    if age > limit:
        return CheckResult(False, f"last escalation run {age:.0f} s ago (limit {limit} s): beat or worker stopped",
                           required=required)
    return CheckResult(True, f"last escalation run {age:.0f} s ago", required=required)
