"""``python manage.py seed_demo [--if-empty]``: the reference plant on simulated PLCs, plus demo logins.

The plant is docs/examples/plant.yaml, imported through the same code as ``import_plant`` with every PLC
connection switched to the simulator (driver ``sim``; tag addresses become signal names). Then one demo user per
role and a kiosk badge/PIN for Line 1. The passwords are fixed and printed: DEMO ONLY, never on a real site.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts import services as accounts
from apps.accounts.models import User
from apps.accounts.roles import ROLES
from apps.lines import services
from apps.lines.management.commands.import_plant import write_summary
from apps.lines.models import Line
from apps.lines.plantfile import PlantFileInvalid, parse_plant, simulated

EXAMPLE_PLANT = Path(settings.BASE_DIR) / "docs" / "examples" / "plant.yaml"
DEMO_LINE = "BP01.PACK"
KIOSK_USERNAME = "demo-kiosk-line1"
KIOSK_BADGE = "100001"
KIOSK_PIN = "2468"


def demo_username(role: str) -> str:
    return "demo-" + role.replace("_", "-")


def demo_password(role: str) -> str:
    return f"ms5-demo-{role.replace('_', '-')}"


class Command(BaseCommand):
    help = ("Load the reference plant on simulated PLCs and create one demo user per role plus a kiosk badge/PIN "
            "for Line 1 (fixed demo passwords — never use on a real site). Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already has a line (for start-up scripts).")

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Line.objects.exists():
            self.stdout.write("seed_demo: the database already has lines; nothing done (--if-empty).")
            return
        try:
            spec = simulated(parse_plant(EXAMPLE_PLANT.read_text(encoding="utf-8")))
            _around_the_clock(spec)
        except PlantFileInvalid as exc:  # the example is tested; this means a local edit broke it
            for error in exc.errors:
                self.stderr.write(error.format(str(EXAMPLE_PLANT)))
            raise CommandError(f"{EXAMPLE_PLANT} is not a valid plant file; nothing was written.") from None
        with transaction.atomic():
            try:
                result = services.plant_import(spec=spec)
            except PlantFileInvalid as exc:
                for error in exc.errors:
                    self.stderr.write(error.format(str(EXAMPLE_PLANT)))
                raise CommandError("The demo plant clashes with what is in the database; nothing was written.") \
                    from None
            accounts.sync_role_groups()
            line = Line.objects.get(code=DEMO_LINE)
            logins = [self._demo_user(role, line) for role in ROLES]
            kiosk = self._kiosk_user(line)
        self.stdout.write(f"Demo plant (simulated PLCs) from {EXAMPLE_PLANT.relative_to(settings.BASE_DIR)}:")
        write_summary(self.stdout, result)
        self.stdout.write("")
        self.stdout.write("Demo logins — DEMO ONLY, these passwords are public:")
        for username, password, role, note in logins:
            self.stdout.write(f"  {role:<20} {username:<26} password {password}{note}")
        self.stdout.write(f"Kiosk sign-in for {line.name} ({line.code}): badge {KIOSK_BADGE}, PIN {KIOSK_PIN} "
                          f"(user {kiosk.username})")

    def _demo_user(self, role: str, line: Line) -> tuple[str, str, str, str]:
        username, password = demo_username(role), demo_password(role)
        user = User.objects.filter(username=username).first()
        note = ""
        if user is None:
            user = accounts.user_create(username=username, role=role, password=password,
                                        first_name="Demo", last_name=role.replace("_", " ").title(),
                                        email=f"{username}@demo.invalid")
        else:
            if user.role != role:
                accounts.user_set_role(user=user, role=role)
            if not user.check_password(password):
                note = " (changed since seeding; left alone)"
        if not ROLES[role].plant_wide:
            accounts.user_grant_line(user=user, line=line)
        return username, password, role, note

    def _kiosk_user(self, line: Line) -> User:
        user = User.objects.filter(username=KIOSK_USERNAME).first()
        if user is None:
            user = accounts.user_create(username=KIOSK_USERNAME, role="operator", first_name="Kiosk",
                                        last_name=line.name, email=f"{KIOSK_USERNAME}@demo.invalid")
        accounts.user_grant_line(user=user, line=line)
        if user.badge_number != KIOSK_BADGE or not user.check_pin(KIOSK_PIN):
            accounts.user_set_pin(user=user, pin=KIOSK_PIN, badge_number=KIOSK_BADGE)
        return user


def _around_the_clock(spec) -> None:
    """The demo's shifts run every day, so whoever opens the demo (on a Sunday, say) sees live shift figures.

    The reference plant works Monday to Friday; its three shifts tile the day, so starting each on all seven days
    keeps them free of overlaps."""
    for line_spec in spec.lines:
        if line_spec.pattern is None:
            continue
        for shift in line_spec.pattern.shifts:
            shift.row.values["weekdays"] = list(range(7))
