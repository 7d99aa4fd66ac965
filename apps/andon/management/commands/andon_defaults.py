"""Create the default kiosk categories and escalation ladder of every active line (idempotent; edits survive)."""

from django.core.management.base import BaseCommand

from apps.andon.services import andon_categories_ensure, andon_ladder_ensure_defaults
from apps.lines.models import Line


class Command(BaseCommand):
    help = "Create default Andon categories and ladders for lines that have none (idempotent)."

    def handle(self, *args, **options):
        for line in Line.objects.filter(active=True):
            andon_categories_ensure(line_id=line.pk)
            rule = andon_ladder_ensure_defaults(line_id=line.pk)
            self.stdout.write(f"{line.code}: {rule.levels.count()} ladder levels, categories ready")
