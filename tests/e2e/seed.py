"""Seed an e2e server's own database (run as a separate process: ``python -m tests.e2e.seed``).

Prints one JSON object: line and equipment ids, and a signed-in session key per persona, so browser and websocket
clients can present a real session cookie without driving the login form every time.
"""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    django.setup()
    from django.test import Client

    from tests.factories.accounts import PASSWORD, UserFactory
    from tests.factories.lines import EquipmentFactory, LineFactory

    line1 = LineFactory(code="E2E1", name="Line 1")
    line2 = LineFactory(code="E2E2", name="Line 2", area=line1.area)
    eq1 = EquipmentFactory(line=line1, code="BP01.PACK.BAG1", name="Bagger 1", position=1, is_primary=True)
    eq2 = EquipmentFactory(line=line1, code="BP01.PACK.BAG1.BL", name="Basket Loader 1", position=2)
    eq3 = EquipmentFactory(line=line2, code="BP02.PACK.BAG2", name="Bagger 2", position=1, is_primary=True)
    from apps.lines.models import DowntimeReason, ReasonCategory
    from tests.factories.downtime import FaultCodeFactory

    FaultCodeFactory(equipment=eq1, bit=3, code="FILM_EMPTY", text="Film roll empty")
    category = ReasonCategory.objects.create(line=line1, code="MECH", name="Mechanical")
    reason = DowntimeReason.objects.create(category=category, line=line1, code="JAM", name="Bag film jam")
    personas = {
        "operator1": UserFactory(username="op-line1", role="operator", lines=[line1]),
        "manager": UserFactory(username="mgr", role="production_manager"),
    }
    sessions = {}
    for name, user in personas.items():
        client = Client()
        client.force_login(user)
        sessions[name] = client.cookies["sessionid"].value
    print(json.dumps({
        "line1": line1.pk, "line2": line2.pk, "eq1": eq1.pk, "eq2": eq2.pk, "eq3": eq3.pk, "reason": reason.pk,
        "sessions": sessions, "usernames": {k: u.username for k, u in personas.items()}, "password": PASSWORD,
    }))


if __name__ == "__main__":
    main()
