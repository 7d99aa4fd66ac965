from django.apps import AppConfig


class DowntimeConfig(AppConfig):
    name = "apps.downtime"
    label = "downtime"
