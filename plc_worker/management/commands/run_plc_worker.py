"""``python manage.py run_plc_worker`` — poll every enabled PLC connection this worker can lease."""

from __future__ import annotations

import logging
import signal

from django.core.management.base import BaseCommand
from django.db import connection

from plc_worker.scanner import Worker, default_worker_id


class Command(BaseCommand):
    help = "Poll the enabled PLC connections (read-only) and write what changed through the OEE services."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Poll each connection once, write, and exit.")
        parser.add_argument("--connections", nargs="+", metavar="CODE", help="Only these connection codes.")
        parser.add_argument("--worker-id", help="Name in the lease table (default host:pid:random).")
        parser.add_argument("--max-seconds", type=float, help="Stop after this long (tests, benchmarks).")

    def handle(self, *args, **options):
        worker_id = options["worker_id"] or default_worker_id()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET application_name = %s", [f"ms5-plc-worker {worker_id}"[:63]])
        worker = Worker(worker_id=worker_id, codes=options["connections"])
        if options["once"]:
            report = worker.run_once()
            worker.writer.stop(drain_s=0)
            if not report:
                self.stdout.write("No connection to poll (none enabled, or all leased by another worker).")
            for code, state in sorted(report.items()):
                self.stdout.write(f"{code}: {state}")
            return

        def on_signal(signum, frame):
            logging.getLogger("plc_worker").info("signal %s: stopping", signal.Signals(signum).name)
            worker.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(f"PLC worker {worker_id} starting")
        self.stdout.flush()
        # Boards are rendered off the writer thread, coalesced per line, so rendering never slows ingest.
        from apps.lines import live

        live.use_background_pusher()
        try:
            worker.run(max_seconds=options["max_seconds"])
        finally:
            live.stop_background_pusher()
        self.stdout.write(f"PLC worker {worker_id} stopped")
