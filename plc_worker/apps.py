from django.apps import AppConfig


class PlcWorkerConfig(AppConfig):
    name = "plc_worker"
    label = "plc_worker"
    verbose_name = "PLC worker"
