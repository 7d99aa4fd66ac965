from django.urls import path

from apps.lines import views

app_name = "lines"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("lines/<int:line_id>/kiosk/", views.kiosk, name="kiosk"),
    path("lines/<int:line_id>/kiosk/tiles/", views.kiosk_tiles, name="kiosk_tiles"),
    path("lines/<int:line_id>/kiosk/stops/", views.kiosk_stops, name="kiosk_stops"),
    path("lines/<int:line_id>/kiosk/stops/code/", views.kiosk_stop_code, name="kiosk_stop_code"),
    path("andon/board/", views.andon_board, name="andon_board"),
    path("andon/board/calls/", views.andon_board_calls, name="andon_board_calls"),
    path("engineering/", views.engineering, name="engineering"),
    # Internal, loopback-only and HMAC-signed: live updates forwarded from the PLC worker and Celery.
    path("internal/live/", views.live_forward, name="live_forward"),
]
