"""Every websocket URL pattern of the project, in one place."""

websocket_urlpatterns: list = []
