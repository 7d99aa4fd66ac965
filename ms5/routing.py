"""Every websocket URL pattern of the project, in one place."""

from django.urls import path

from apps.lines.consumers import LineConsumer

websocket_urlpatterns: list = [
    path("ws/lines/<int:line_id>/", LineConsumer.as_asgi()),
]
