"""Siemens S7 (300/400/1200/1500 with PUT/GET) through python-snap7's pure-Python client.

Tags go out as multi-variable reads of at most 20 items per request (the protocol's limit); values are decoded
here (big-endian) from the tag map's data type. S7-1200/1500: the DB must have "optimized block access" OFF and
the CPU must allow PUT/GET; ``plc_probe`` says so when a read fails that way.
"""

from __future__ import annotations

import re
import struct

from snap7.client import Client
from snap7.type import Area

from plc_worker.drivers.base import CommError, ConnectionConfig, Driver, TagRead, TagSpec, kill_socket

MAX_ITEMS = 20
_ADDR = re.compile(
    r"^(DB(?P<db>\d{1,5})\.DB(?P<kind>[XBWD])(?P<byte>\d{1,5})(\.(?P<bit>\d))?"
    r"|(?P<area>[MIQE])(?P<akind>[BWD]?)(?P<abyte>\d{1,5})(\.(?P<abit>\d))?)$"
)
_AREAS = {"M": Area.MK, "I": Area.PE, "E": Area.PE, "Q": Area.PA}
_SIZE = {"X": 1, "B": 1, "W": 2, "D": 4, "": 1}
_FORMATS = {"SINT": ">b", "INT": ">h", "UINT": ">H", "DINT": ">i", "UDINT": ">I", "REAL": ">f"}

PUT_GET_HINT = (
    "The PLC refused the read. On an S7-1200/1500 this is almost always one of two settings in TIA Portal: "
    "(1) the CPU's Protection & Security → 'Permit access with PUT/GET communication from remote partner' is off, "
    "or (2) the data block has 'Optimized block access' on (DB properties → Attributes): switch it off, compile "
    "and download, so the DB has fixed byte offsets like DB1.DBW2."
)


def parse(address: str) -> tuple[Area, int, int, int | None, str]:
    m = _ADDR.match(address)
    if not m:
        raise ValueError(f"{address!r} is not an S7 address")
    if m["db"]:
        kind = m["kind"]
        return Area.DB, int(m["db"]), int(m["byte"]), (int(m["bit"]) if m["bit"] is not None else None), kind
    kind = m["akind"] or "X"
    return _AREAS[m["area"]], 0, int(m["abyte"]), (int(m["abit"]) if m["abit"] is not None else None), kind


def decode(raw: bytes, kind: str, bit: int | None, data_type: str):
    if bit is not None:
        return bool((raw[0] >> bit) & 1)
    if data_type == "BOOL":
        return bool(raw[0] & 1)
    size = _SIZE[kind]
    fmt = _FORMATS.get(data_type)
    if fmt is None or struct.calcsize(fmt) != size:
        fmt = {1: ">B", 2: ">H", 4: ">I"}[size]
    return struct.unpack(fmt, bytes(raw[:size]))[0]


class S7PlcDriver(Driver):
    def __init__(self, config: ConnectionConfig):
        super().__init__(config)
        self.client = Client()

    def open(self) -> None:
        try:
            self.client.connect(self.config.host, self.config.rack, self.config.slot, self.config.port or 102)
            conn = self.client.connection
            conn.timeout = self.config.timeout_s
            if getattr(conn, "socket", None) is not None:
                conn.socket.settimeout(self.config.timeout_s)
        except Exception as exc:
            raise CommError(f"{self.config.code}: {exc}") from exc

    def close(self) -> None:
        try:
            self.client.disconnect()
        except Exception:
            pass

    def abort(self) -> None:
        kill_socket(getattr(getattr(self.client, "connection", None), "socket", None))

    def read(self, tags: tuple[TagSpec, ...]) -> dict[str, TagRead]:
        out: dict[str, TagRead] = {}
        parsed = [(tag, parse(tag.address)) for tag in tags]
        for i in range(0, len(parsed), MAX_ITEMS):
            chunk = parsed[i:i + MAX_ITEMS]
            items = [{"area": area, "db_number": db, "start": start, "size": _SIZE[kind]}
                     for _, (area, db, start, _bit, kind) in chunk]
            try:
                if len(items) == 1:
                    datas = [self.client.read_area(items[0]["area"], items[0]["db_number"], items[0]["start"],
                                                   items[0]["size"])]
                else:
                    _code, datas = self.client.read_multi_vars(items)
            except Exception as exc:
                if not self.client.get_connected():
                    raise CommError(f"{self.config.code}: {exc}") from exc
                # The PLC answered but refused: a per-item problem (missing DB, PUT/GET, optimized DB).
                # Read this chunk item by item so one bad address does not blank the good ones.
                datas = []
                for item in items:
                    try:
                        datas.append(self.client.read_area(item["area"], item["db_number"], item["start"],
                                                           item["size"]))
                    except Exception as item_exc:
                        if not self.client.get_connected():
                            raise CommError(f"{self.config.code}: {item_exc}") from item_exc
                        datas.append(item_exc)
            for (tag, (_a, _d, _s, bit, kind)), data in zip(chunk, datas):
                if isinstance(data, Exception):
                    out[tag.address] = TagRead(None, str(data) or type(data).__name__)
                elif data is None or len(data) < _SIZE[kind]:
                    out[tag.address] = TagRead(None, "no data returned for this address")
                else:
                    out[tag.address] = TagRead(decode(data, kind, bit, tag.data_type))
        return out
