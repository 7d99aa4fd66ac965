from django.contrib import admin

from plc_worker.models import PlcLease


@admin.register(PlcLease)
class PlcLeaseAdmin(admin.ModelAdmin):
    list_display = ["connection", "owner", "state", "expires_at", "last_scan_at", "scans", "missed_ticks",
                    "comm_errors", "last_error"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in PlcLease._meta.fields]

    def has_add_permission(self, request):
        return False
