from django.apps import AppConfig


class PlcWorkerConfig(AppConfig):
    name = "plc_worker"
    label = "plc_worker"
    verbose_name = "PLC worker"

    def ready(self) -> None:
        from plc_worker import health  # noqa: F401  (registers the /healthz check)
