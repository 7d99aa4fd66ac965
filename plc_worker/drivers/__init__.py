"""PLC drivers (pure Python, no ORM). ``make_driver`` builds a fresh driver (and so a fresh socket)."""

from __future__ import annotations

from plc_worker.drivers.base import CommError, ConnectionConfig, Driver, TagRead, TagSpec

__all__ = ["CommError", "ConnectionConfig", "Driver", "TagRead", "TagSpec", "make_driver"]


def make_driver(config: ConnectionConfig) -> Driver:
    if config.driver == "sim":
        from plc_worker.drivers.sim import SimDriver

        return SimDriver(config)
    if config.driver == "logix":
        from plc_worker.drivers.logix import LogixPlcDriver

        return LogixPlcDriver(config)
    if config.driver == "slc":
        from plc_worker.drivers.slc import SlcPlcDriver

        return SlcPlcDriver(config)
    if config.driver == "s7":
        from plc_worker.drivers.s7 import S7PlcDriver

        return S7PlcDriver(config)
    raise ValueError(f"unknown driver {config.driver!r}")
