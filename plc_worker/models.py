"""The PLC worker's own state: one lease row per PLC connection.

A lease says which worker polls a connection and until when. Claiming and renewing are conditional UPDATEs
(plc_worker/leases.py), so two workers can never both believe they own a connection; the scan statistics ride
along with each renewal and feed /healthz and the admin.
"""

from __future__ import annotations

from django.db import models


class PlcLease(models.Model):
    """Who polls ``connection`` until ``expires_at``. An empty ``owner`` or a past ``expires_at`` means free."""

    connection = models.OneToOneField("lines.PlcConnection", on_delete=models.CASCADE, primary_key=True,
                                      related_name="lease")
    owner = models.CharField(max_length=120, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)
    # Statistics reported by the owner at each renewal.
    state = models.CharField(max_length=12, blank=True, help_text="connecting, ok or down")
    last_scan_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    scans = models.PositiveBigIntegerField(default=0)
    missed_ticks = models.PositiveBigIntegerField(default=0)
    comm_errors = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "PLC lease"

    def __str__(self) -> str:
        return f"{self.connection_id} → {self.owner or 'nobody'}"
