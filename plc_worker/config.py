"""Read the plant configuration (ORM) into the drivers' plain ``ConnectionConfig`` objects."""

from __future__ import annotations

from apps.lines.models import FaultCode, PlcConnection, TagMap
from plc_worker.drivers.base import ConnectionConfig, TagSpec


def connection_configs(connection_ids=None, codes=None) -> dict[int, ConnectionConfig]:
    qs = PlcConnection.objects.filter(enabled=True)
    if connection_ids is not None:
        qs = qs.filter(pk__in=list(connection_ids))
    if codes:
        qs = qs.filter(code__in=list(codes))
    connections = list(qs)
    ids = [c.pk for c in connections]
    tags: dict[int, list[TagSpec]] = {i: [] for i in ids}
    for t in TagMap.objects.filter(connection_id__in=ids, equipment__active=True).order_by("equipment_id", "signal"):
        tags[t.connection_id].append(TagSpec(address=t.address, data_type=t.data_type, signal=t.signal,
                                             group=t.equipment_id, scale=t.scale, offset=t.offset))
    fault_bits: dict[int, list[int]] = {}
    sim_equipment = {t.group for c in connections if c.driver == "sim" for t in tags[c.pk]}
    for eq, bit in FaultCode.objects.filter(equipment_id__in=sim_equipment).values_list("equipment_id", "bit"):
        fault_bits.setdefault(eq, []).append(bit)
    out = {}
    for c in connections:
        groups = {t.group for t in tags[c.pk]}
        out[c.pk] = ConnectionConfig(
            id=c.pk, code=c.code, driver=c.driver, host=c.host, port=c.port, slot=c.slot, rack=c.rack,
            interval_s=c.poll_interval_ms / 1000, timeout_s=c.timeout_ms / 1000, sim_seed=c.sim_seed,
            tags=tuple(tags[c.pk]),
            sim_fault_bits={g: tuple(sorted(fault_bits.get(g, ()))) for g in groups} if c.driver == "sim" else {},
        )
    return out


def enabled_connection_ids(codes=None) -> list[int]:
    qs = PlcConnection.objects.filter(enabled=True)
    if codes:
        qs = qs.filter(code__in=list(codes))
    return list(qs.values_list("pk", flat=True))
