from django.apps import AppConfig


class AndonConfig(AppConfig):
    name = "apps.andon"
    label = "andon"

    def ready(self) -> None:
        from apps.andon import health, schedules  # noqa: F401  (registers /healthz "beat" and the schedules)
