from django.urls import path

from apps.andon import views

app_name = "andon"
urlpatterns = [
    path("lines/<int:line_id>/panel/", views.panel, name="panel"),
    path("lines/<int:line_id>/raise/", views.raise_call, name="raise"),
    path("lines/<int:line_id>/board/", views.board, name="board"),
    path("lines/<int:line_id>/board/calls/", views.board_calls, name="board_calls"),
    path("lines/<int:line_id>/kpis/", views.kpis, name="kpis"),
    path("calls/<int:call_id>/", views.call_detail, name="call"),
    path("calls/<int:call_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("calls/<int:call_id>/resolve/", views.resolve, name="resolve"),
    path("calls/<int:call_id>/cancel/", views.cancel, name="cancel"),
    path("calls/<int:call_id>/escalate/", views.escalate, name="escalate"),
    path("chime.wav", views.chime, name="chime"),
    path("push/key/", views.push_key, name="push_key"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("preferences/", views.preferences, name="preferences"),
]
