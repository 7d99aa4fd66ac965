from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from apps.lines import models
from tests.factories.lines import EquipmentFactory, PlcConnectionFactory


class TagMapFactory(DjangoModelFactory[models.TagMap]):
    class Meta:
        model = models.TagMap

    equipment = factory.SubFactory(EquipmentFactory)
    connection = factory.SubFactory(PlcConnectionFactory)
    signal = "running"
    address = factory.LazyAttribute(lambda o: f"{o.signal}")
    data_type = "BOOL"


class FaultCodeFactory(DjangoModelFactory[models.FaultCode]):
    class Meta:
        model = models.FaultCode

    equipment = factory.SubFactory(EquipmentFactory)
    bit = factory.Sequence(lambda n: n % 64)
    code = factory.Sequence(lambda n: f"F{n}")
    text = factory.LazyAttribute(lambda o: f"Fault {o.code}")


SIM_SIGNALS = (
    ("running", "BOOL"), ("total_count", "DINT"), ("reject_count", "DINT"), ("rework_count", "INT"),
    ("fault_word", "DINT[2]"), ("speed", "REAL"), ("mode", "INT"), ("product", "INT"),
)


def sim_connection(*, code: str, equipment_count: int = 1, line=None, seed: int = 1, signals=SIM_SIGNALS,
                   **conn_kwargs) -> models.PlcConnection:
    """A simulated PLC with ``equipment_count`` machines, each with the eight canonical signals mapped."""
    conn = PlcConnectionFactory(code=code, driver="sim", sim_seed=seed, **conn_kwargs)
    for i in range(equipment_count):
        eq = EquipmentFactory(**({"line": line} if line is not None else {}), code=f"{code}.M{i}")
        for signal, data_type in signals:
            TagMapFactory(equipment=eq, connection=conn, signal=signal, data_type=data_type,
                          address=f"M{i}.{signal}")
    return conn


def mapped_connection(*, code: str, driver: str, host: str, port: int, tags: list[tuple[str, str, str]],
                      equipment=None, **conn_kwargs) -> models.PlcConnection:
    """A real-protocol connection; ``tags`` = [(signal, address, data_type), …] on one equipment."""
    conn = PlcConnectionFactory(code=code, driver=driver, host=host, port=port, **conn_kwargs)
    equipment = equipment or EquipmentFactory(code=f"{code}.EQ")
    for signal, address, data_type in tags:
        TagMapFactory(equipment=equipment, connection=conn, signal=signal, address=address, data_type=data_type)
    return conn
