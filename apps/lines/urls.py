from django.urls import path

from apps.lines import views

app_name = "lines"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("lines/<int:line_id>/kiosk/", views.kiosk, name="kiosk"),
    path("lines/<int:line_id>/kiosk/tiles/", views.kiosk_tiles, name="kiosk_tiles"),
    path("lines/<int:line_id>/kiosk/stops/", views.kiosk_stops, name="kiosk_stops"),
    path("lines/<int:line_id>/kiosk/stops/code/", views.kiosk_stop_code, name="kiosk_stop_code"),
    path("lines/<int:line_id>/kiosk/hours/", views.kiosk_hours, name="kiosk_hours"),
    path("lines/<int:line_id>/", views.line_detail, name="line_detail"),
    path("lines/<int:line_id>/live/", views.line_detail_panel, name="line_detail_panel"),
    path("lines/<int:line_id>/downtime/code/", views.downtime_code, name="downtime_code"),
    path("lines/<int:line_id>/downtime/split/", views.downtime_split, name="downtime_split"),
    path("lines/<int:line_id>/downtime/merge/", views.downtime_merge, name="downtime_merge"),
    path("engineering/", views.engineering, name="engineering"),
    path("engineering/equipment/<int:equipment_id>/", views.equipment_detail, name="equipment_detail"),
    # Internal, loopback-only and HMAC-signed: live updates forwarded from the PLC worker and Celery.
    path("internal/live/", views.live_forward, name="live_forward"),
]
