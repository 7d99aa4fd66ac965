from django.apps import AppConfig


class LinesConfig(AppConfig):
    name = "apps.lines"
    label = "lines"
