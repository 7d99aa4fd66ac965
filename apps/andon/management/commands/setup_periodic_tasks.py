"""Sync the code-defined schedules (ms5/schedules.py registry) into django-celery-beat. Idempotent."""

from django.core.management.base import BaseCommand

from ms5 import schedules


class Command(BaseCommand):
    help = "Create or update django-celery-beat PeriodicTasks from the schedules defined in code (idempotent)."

    def handle(self, *args, **options):
        for name, created in schedules.sync():
            self.stdout.write(f"{'created' if created else 'updated'} {name}")
