"""Allen-Bradley SLC 5/05 through pycomm3's SLCDriver.

pycomm3 sends one request per address, so tags are grouped into BLOCK reads per data file
(``N7:0{12}`` reads elements 0–11 in one request) and single values and bits are cut out of the block.
Bits are addressed ``B3:1/5`` (the flat form ``B3/21`` is mis-parsed by pycomm3 and refused by the tag map).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from pycomm3 import SLCDriver
from pycomm3.exceptions import PycommError

from plc_worker.drivers.base import CommError, ConnectionConfig, Driver, TagRead, TagSpec, kill_socket

_ADDR = re.compile(r"^(?P<file>[NBFLS])(?P<num>\d{1,3}):(?P<elem>\d{1,3})(/(?P<bit>\d{1,2}))?$")
WORDS_PER_ELEMENT = {"N": 1, "B": 1, "S": 1, "F": 2, "L": 2}
MAX_BLOCK_BYTES = 200  # the PCCC byte count is one octet; stay well below a 5/05's reply limit


@dataclass(frozen=True)
class Parsed:
    file: str
    num: int
    elem: int
    bit: int | None


def parse(address: str) -> Parsed:
    m = _ADDR.match(address)
    if not m:
        raise ValueError(f"{address!r} is not a readable SLC address (N7:0, B3:1/5, F8:2, L9:0)")
    return Parsed(m["file"], int(m["num"]), int(m["elem"]), int(m["bit"]) if m["bit"] is not None else None)


def plan_blocks(tags: tuple[TagSpec, ...]) -> list[tuple[str, int, int, list[tuple[TagSpec, Parsed]]]]:
    """Group tags per data file into contiguous block reads: (file key, first element, count, members)."""
    by_file: dict[tuple[str, int], list[tuple[TagSpec, Parsed]]] = {}
    for tag in tags:
        p = parse(tag.address)
        by_file.setdefault((p.file, p.num), []).append((tag, p))
    blocks = []
    for (ftype, num), members in sorted(by_file.items()):
        size = 2 * WORDS_PER_ELEMENT[ftype]
        members.sort(key=lambda m: m[1].elem)
        current: list[tuple[TagSpec, Parsed]] = []
        for member in members:
            if current and (member[1].elem - current[0][1].elem + 1) * size > MAX_BLOCK_BYTES:
                blocks.append(_block(ftype, num, current))
                current = []
            current.append(member)
        if current:
            blocks.append(_block(ftype, num, current))
    return blocks


def _block(ftype, num, members):
    first = members[0][1].elem
    count = members[-1][1].elem - first + 1
    return (f"{ftype}{num}", first, count, members)


def decode(ftype: str, value, data_type: str, bit: int | None):
    """Turn pycomm3's element value into the tag's value (bits from words; INT as the 16-bit pattern)."""
    if bit is not None:
        return bool((int(value) >> bit) & 1)
    if data_type == "UINT" and ftype in ("N", "B", "S"):
        return int(value) & 0xFFFF
    if data_type == "UDINT" and ftype == "L":
        return int(value) & 0xFFFFFFFF
    if data_type == "REAL" and ftype == "L":  # unusual, but keep the bits honest
        return struct.unpack("<f", struct.pack("<i", int(value)))[0]
    return value


class SlcPlcDriver(Driver):
    def __init__(self, config: ConnectionConfig):
        super().__init__(config)
        path = config.host + (f":{config.port}" if config.port else "")
        self.plc = SLCDriver(path)
        self.plc.socket_timeout = config.timeout_s  # must be set before open()

    def open(self) -> None:
        try:
            if not self.plc.open():
                raise CommError(f"{self.config.code}: the controller refused the session")
        except PycommError as exc:
            raise CommError(f"{self.config.code}: {exc}") from exc

    def close(self) -> None:
        try:
            self.plc.close()
        except Exception:
            pass

    def abort(self) -> None:
        sock = getattr(self.plc, "_sock", None)
        kill_socket(getattr(sock, "sock", None))

    def read(self, tags: tuple[TagSpec, ...]) -> dict[str, TagRead]:
        out: dict[str, TagRead] = {}
        for file_key, first, count, members in plan_blocks(tags):
            address = f"{file_key}:{first}" + (f"{{{count}}}" if count > 1 else "")
            try:
                answer = self.plc.read(address)
            except PycommError as exc:
                raise CommError(f"{self.config.code}: {exc}") from exc
            if answer.error:
                for tag, _ in members:
                    out[tag.address] = TagRead(None, f"{address}: {answer.error}")
                continue
            values = answer.value if isinstance(answer.value, list) else [answer.value]
            if len(values) != count:
                raise CommError(f"{self.config.code}: {address} returned {len(values)} elements, expected {count}")
            for tag, p in members:
                out[tag.address] = TagRead(decode(p.file, values[p.elem - first], tag.data_type, p.bit))
        return out

    def processor_type(self) -> str | None:
        try:
            return self.plc.get_processor_type()
        except PycommError:
            return None
