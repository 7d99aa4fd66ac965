"""``python manage.py replay_telemetry FILE.csv`` — feed recorded canonical signals and operator context through
the same pipeline as live polling (apps/oee/ingest.py). The CSV format is documented in docs/oee.md."""

from __future__ import annotations

import csv
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from apps.lines.models import DowntimeReason, Equipment, Product
from apps.oee.ingest import EquipmentSample, samples_ingest
from apps.oee.services import equipment_context_set

SIGNAL_COLUMNS = ("comms_ok", "running", "total_count", "reject_count", "rework_count", "fault_word", "mode",
                  "speed", "product")
CONTEXT_COLUMNS = ("job", "product_code", "changeover", "no_order")
BATCH = 500


class ReplayError(ValueError):
    pass


def _bool(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ReplayError(f"{where}: {value!r} is not a boolean (use 1 or 0).")


def _int(value: str, where: str) -> int:
    try:
        return int(value.strip(), 0)
    except ValueError:
        raise ReplayError(f"{where}: {value!r} is not an integer.") from None


def _ts(value: str, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ReplayError(f"{where}: {value!r} is not an ISO 8601 time stamp.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def parse_rows(reader) -> list[dict]:
    """Validate the whole file first: a bad file is rejected whole, with line numbers."""
    if not reader.fieldnames or "ts" not in reader.fieldnames or "equipment" not in reader.fieldnames:
        raise ReplayError("line 1: the header must name at least the columns ts and equipment.")
    equipment = {e.code: e for e in Equipment.objects.all()}
    products = {p.code: p.pk for p in Product.objects.all()}
    rows, errors = [], []
    for number, raw in enumerate(reader, start=2):
        where = f"line {number}"
        try:
            raw = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            eq = equipment.get(raw["equipment"])
            if eq is None:
                raise ReplayError(f"{where}: no equipment with code {raw['equipment']!r}.")
            row = {"line": number, "ts": _ts(raw["ts"], where), "equipment": eq, "signals": None, "context": {},
                   "reason": raw.get("reason") or None}
            if any(raw.get(c) for c in SIGNAL_COLUMNS):
                bits = _int(raw["counter_bits"], where) if raw.get("counter_bits") else 32
                if bits not in (8, 16, 32):
                    raise ReplayError(f"{where}: counter_bits must be 8, 16 or 32.")
                counters = {c: _int(raw[c], where) for c in ("total_count", "reject_count", "rework_count")
                            if raw.get(c)}
                row["signals"] = EquipmentSample(
                    equipment_id=eq.pk, ts=row["ts"],
                    comms_ok=_bool(raw["comms_ok"], where) if raw.get("comms_ok") else True,
                    running=_bool(raw["running"], where) if raw.get("running") else None,
                    counters=counters, counter_moduli=dict.fromkeys(counters, 2**bits),
                    fault_word=_int(raw["fault_word"], where) if raw.get("fault_word") else None,
                    mode=_int(raw["mode"], where) if raw.get("mode") else None,
                    speed=float(raw["speed"]) if raw.get("speed") else None,
                    product=_int(raw["product"], where) if raw.get("product") else None)
            if raw.get("job"):
                row["context"]["job_ref"] = raw["job"]
            if raw.get("product_code"):
                if raw["product_code"] not in products:
                    raise ReplayError(f"{where}: no product with code {raw['product_code']!r}.")
                row["context"]["product_id"] = products[raw["product_code"]]
            for flag in ("changeover", "no_order"):
                if raw.get(flag):
                    row["context"][flag] = _bool(raw[flag], where)
            if row["reason"] and not DowntimeReason.objects.filter(line_id=eq.line_id, code=row["reason"]).exists():
                raise ReplayError(f"{where}: no reason {row['reason']!r} on line {eq.line.code}.")
            rows.append(row)
        except (ReplayError, ValueError) as exc:
            errors.append(str(exc))
    if errors:
        raise ReplayError("\n".join(errors[:50]))
    # Time order (stable): the file may list equipment or rows in any order.
    rows.sort(key=lambda r: (r["ts"], r["line"]))
    return rows


def replay(rows: list[dict]) -> dict:
    from apps.downtime.models import DowntimeEvent
    from apps.downtime.services import downtime_event_code

    stats = {"samples": 0, "context": 0, "reasons": 0, "writes": 0, "reasons_without_stop": 0}
    batch: list[EquipmentSample] = []

    def flush():
        if batch:
            stats["writes"] += samples_ingest(batch).writes
            batch.clear()

    for row in rows:
        if row["context"]:
            flush()
            equipment_context_set(equipment_id=row["equipment"].pk, at=row["ts"], **row["context"])
            stats["context"] += 1
        if row["signals"] is not None:
            batch.append(row["signals"])
            stats["samples"] += 1
            if len(batch) >= BATCH:
                flush()
    flush()
    # Reasons apply from the stop's start, whether picked during the stop or after it.
    for row in rows:
        if not row["reason"]:
            continue
        event = (DowntimeEvent.objects.filter(equipment=row["equipment"], start__lte=row["ts"])
                 .order_by("-start").first())
        if event is None:
            stats["reasons_without_stop"] += 1
            continue
        reason = DowntimeReason.objects.get(line_id=row["equipment"].line_id, code=row["reason"])
        downtime_event_code(event_id=event.pk, reason_id=reason.pk, user=None)
        stats["reasons"] += 1
    return stats


class Command(BaseCommand):
    help = "Replay a CSV of time-stamped canonical signals and operator context through the OEE pipeline."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        try:
            with open(opts["file"], newline="", encoding="utf-8") as fh:
                rows = parse_rows(csv.DictReader(fh))
        except OSError as exc:
            raise CommandError(f"Cannot read {opts['file']}: {exc}") from None
        except ReplayError as exc:
            raise CommandError(f"{opts['file']} was not replayed:\n{exc}") from None
        stats = replay(rows)
        self.stdout.write(
            f"Replayed {stats['samples']} samples, {stats['context']} context changes and {stats['reasons']} "
            f"reasons ({stats['writes']} writes)."
            + (f" {stats['reasons_without_stop']} reasons matched no stop." if stats["reasons_without_stop"] else ""))
