"""``python manage.py import_plant FILE.yaml``: load a plant file (docs/plant-file.md), idempotently."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.lines import services
from apps.lines.plantfile import PlantFileInvalid, parse_plant


def write_summary(stdout, result: services.ImportResult) -> None:
    for kind in services.KINDS:
        counts = result.counts[kind]
        if sum(counts.values()):
            parts = [f"{counts[o]} {o}" for o in (services.CREATED, services.UPDATED, services.UNCHANGED,
                                                   services.DELETED) if counts[o]]
            stdout.write(f"  {kind}: {', '.join(parts)}")
    for kind, n in sorted(result.left_alone.items()):
        stdout.write(f"  note: {n} {kind} in the database but not in the file were left alone "
                     "(remove them in the admin if they are gone)")
    totals = (f"created {result.total(services.CREATED)}, updated {result.total(services.UPDATED)}, "
              f"unchanged {result.total(services.UNCHANGED)}, deleted {result.total(services.DELETED)}")
    if result.changed:
        stdout.write(f"Imported: {totals}.")
    else:
        stdout.write(f"Nothing changed: the database already matches the file ({totals}).")


class Command(BaseCommand):
    help = ("Create or update the plant (site, areas, lines, equipment, products, shifts, reasons, faults, PLC "
            "connections and tags) from a YAML plant file. A file with any error is rejected whole and nothing "
            "is written; errors are printed as FILE:LINE: message.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the plant file (YAML), e.g. docs/examples/plant.yaml")
        parser.add_argument("--check", action="store_true",
                            help="Only check the file (no database writes at all) and report errors.")

    def handle(self, *args, file: str, check: bool, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot read the plant file: {exc}") from None
        try:
            spec = parse_plant(text)
            if check:
                self.stdout.write(f"{file}: the plant file is valid (nothing written: --check).")
                return
            result = services.plant_import(spec=spec)
        except PlantFileInvalid as exc:
            for error in exc.errors:
                self.stderr.write(error.format(file))
            raise CommandError(f"{file}: rejected with {len(exc.errors)} error(s); nothing was written.") from None
        self.stdout.write(f"{file}:")
        write_summary(self.stdout, result)
