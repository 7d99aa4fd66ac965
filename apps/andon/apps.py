from django.apps import AppConfig


class AndonConfig(AppConfig):
    name = "apps.andon"
    label = "andon"
