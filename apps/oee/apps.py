from django.apps import AppConfig


class OeeConfig(AppConfig):
    name = "apps.oee"
    label = "oee"
