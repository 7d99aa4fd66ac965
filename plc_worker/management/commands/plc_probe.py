"""``python manage.py plc_probe CONNECTION`` — commissioning: read every mapped tag once, print value, type and
quality, and say in plain words what is probably wrong when reads fail."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.lines.models import PlcConnection
from plc_worker.config import connection_configs
from plc_worker.drivers import CommError, make_driver
from plc_worker.drivers.s7 import PUT_GET_HINT


class Command(BaseCommand):
    help = "Read every tag mapped on one PLC connection once and report value, type and quality."

    def add_arguments(self, parser):
        parser.add_argument("connection", help="PLC connection code")
        parser.add_argument("--browse", action="store_true", help="Also list the controller's tags (Logix).")

    def handle(self, *args, **options):
        code = options["connection"]
        try:
            conn = PlcConnection.objects.get(code=code)
        except PlcConnection.DoesNotExist:
            raise CommandError(f"No PLC connection {code!r}.") from None
        config = next(iter(connection_configs(connection_ids=[conn.pk], codes=None).values()), None)
        if config is None:
            raise CommandError(f"{code} is disabled; enable it first (the probe reads only enabled connections).")
        where = f"{config.host}:{config.port}" if config.port else (config.host or "simulator")
        self.stdout.write(f"{code}: {conn.get_driver_display()} at {where}, {len(config.tags)} mapped tags")
        if not config.tags:
            self.stdout.write("Nothing is mapped on this connection yet (see the tag maps in the admin).")
        driver = make_driver(config)
        try:
            try:
                driver.open()
                reads = driver.read(config.tags)
            except CommError as exc:
                self.stdout.write(self.style.ERROR(f"cannot read from the PLC: {exc}"))
                self._hint_unreachable(config)
                raise CommandError(f"{code}: no answer") from None
            width = max([len(t.address) for t in config.tags] + [8])
            bad = 0
            for tag in config.tags:
                r = reads.get(tag.address)
                quality = r.quality if r else "bad: not returned"
                value = r.value if r else None
                bad += quality != "good"
                self.stdout.write(f"  {tag.address:<{width}}  {tag.data_type:<8} {tag.signal:<13} "
                                  f"{value!r:<24} {quality}")
            self.stdout.write(f"{len(config.tags) - bad} good, {bad} bad")
            if bad and config.driver == "s7":
                self.stdout.write(self.style.WARNING(PUT_GET_HINT))
            if bad and config.driver == "slc":
                self.stdout.write("SLC: a bad read usually means the data file or element does not exist in the "
                                  "processor (check the file number and length in RSLogix 500).")
            if bad and config.driver == "logix":
                self.stdout.write("Logix: check the tag names (controller scope, or Program:Name.Tag) and that the "
                                  "tag's External Access is Read Only or Read/Write.")
            if options["browse"] or config.driver == "logix":
                names = driver.browse()
                if names is None:
                    self.stdout.write("Tag browse: not supported by this controller/driver.")
                else:
                    self.stdout.write(f"Tag browse: {len(names)} tags: " + ", ".join(names[:200]))
            if config.driver == "slc":
                ptype = driver.processor_type()
                if ptype:
                    self.stdout.write(f"Processor type: {ptype}")
        finally:
            driver.close()

    def _hint_unreachable(self, config):
        if config.driver == "s7":
            self.stdout.write("S7: check the address, rack/slot (S7-1200/1500: rack 0 slot 1; S7-300: 0/2), that "
                              "TCP port 102 is reachable, and that the CPU permits PUT/GET access.")
        elif config.driver in ("logix", "slc"):
            self.stdout.write("EtherNet/IP: check the address, that TCP port 44818 is reachable from this host, "
                              "and (ControlLogix) the CPU slot.")
