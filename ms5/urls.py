from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from ms5 import health

admin.site.site_header = "MS5.0 Floor Dashboard — administration"
admin.site.site_title = "MS5.0 admin"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.accounts.urls")),
    path("", include("apps.lines.urls")),
    path("oee/", include("apps.oee.urls")),
    path("downtime/", include("apps.downtime.urls")),
    path("andon/", include("apps.andon.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("checklists/", include("apps.checklists.urls")),
    path("reports/", include("apps.reports.urls")),
]
