"""Allen-Bradley CompactLogix / ControlLogix through pycomm3's LogixDriver.

- ``init_tags=False`` plus injected tag definitions: no tag-list upload on connect (cpppo cannot serve it and it
  is slow on big controllers). The definitions come from the tag map (name + data type) or from
  ``logix_tag_defs`` (e.g. a JSON dump taken from the real controller with ``plc_probe --dump-tags``).
- All tags of a connection go out as ONE ``read()`` call (pycomm3 packs it into Multiple Service Packets).
- ``socket_timeout`` is set before ``open()`` (pycomm3 only applies it when the socket is created).
"""

from __future__ import annotations

from pycomm3 import LogixDriver
from pycomm3.cip import DataTypes
from pycomm3.exceptions import PycommError

from plc_worker.drivers.base import CommError, ConnectionConfig, Driver, TagRead, TagSpec, kill_socket

_ATOMIC = {"BOOL", "SINT", "INT", "UINT", "DINT", "UDINT", "REAL", "LINT", "LREAL", "USINT", "ULINT"}


def base_name(address: str) -> str:
    """The controller tag an address lives in (``Line.Speed`` → ``Line``, ``Counts[3]`` → ``Counts``)."""
    name = address.split("{")[0]
    if name.startswith("Program:"):
        prefix, rest = name.split(".", 1)
        return f"{prefix}.{rest.split('.')[0].split('[')[0]}"
    return name.split(".")[0].split("[")[0]


def raw_definition(data_type: str, dimensions: list[int] | None = None) -> dict:
    """A raw symbol record as the tag-list upload would produce it, for pycomm3's own tag builder."""
    dims = list(dimensions or [0, 0, 0]) + [0, 0, 0]
    dims = dims[:3]
    ndim = sum(1 for d in dims if d)
    code = getattr(DataTypes, data_type.lower()).code
    return {
        "instance_id": 0, "symbol_address": 0, "symbol_object_address": 0, "software_control": 0,
        "external_access": "Read/Write", "dimensions": dims, "symbol_type": code | (ndim << 13),
    }


def definitions_from_tags(tags: tuple[TagSpec, ...]) -> dict[str, dict]:
    defs: dict[str, dict] = {}
    for tag in tags:
        if "." in tag.address.replace("Program:", "", 1) or "[" in tag.address:
            continue  # members/elements need the controller's own definitions (logix_tag_defs)
        if tag.data_type == "DINT[2]":
            defs[tag.address] = {"data_type": "DINT", "dimensions": [2, 0, 0]}
        elif tag.data_type in _ATOMIC:
            defs[tag.address] = {"data_type": tag.data_type, "dimensions": [0, 0, 0]}
    return defs


def request_name(tag: TagSpec) -> str:
    return f"{tag.address}{{2}}" if tag.data_type == "DINT[2]" else tag.address


class LogixPlcDriver(Driver):
    def __init__(self, config: ConnectionConfig):
        super().__init__(config)
        path = config.host + (f":{config.port}" if config.port else "") + (f"/{config.slot}" if config.slot else "")
        defs = {**definitions_from_tags(config.tags), **config.logix_tag_defs}
        # Structure members and array elements need the controller's own definitions: then (and only then)
        # let pycomm3 upload the tag list on connect, as a real controller supports it.
        self.needs_upload = any(base_name(t.address) not in defs for t in config.tags)
        self.plc = LogixDriver(path, init_tags=self.needs_upload,
                               init_program_tags=any(t.address.startswith("Program:") for t in config.tags))
        self.plc.socket_timeout = config.timeout_s  # must be set before open()
        for name, d in defs.items():
            self.plc._tags[name] = self.plc._create_tag(name, raw_definition(d["data_type"], d.get("dimensions")))

    def open(self) -> None:
        try:
            if not self.plc.open():
                raise CommError(f"{self.config.code}: the controller refused the session")
        except PycommError as exc:
            raise CommError(f"{self.config.code}: {exc}") from exc

    def close(self) -> None:
        try:
            self.plc.close()
        except Exception:  # pycomm3's close raises after a dead peer, yet resets its state
            pass

    def abort(self) -> None:
        sock = getattr(self.plc, "_sock", None)
        kill_socket(getattr(sock, "sock", None))

    def read(self, tags: tuple[TagSpec, ...]) -> dict[str, TagRead]:
        if not tags:
            return {}
        names = [request_name(t) for t in tags]
        try:
            result = self.plc.read(*names)
        except PycommError as exc:
            raise CommError(f"{self.config.code}: {exc}") from exc
        results = result if isinstance(result, list) else [result]
        if len(results) != len(tags):
            raise CommError(f"{self.config.code}: asked for {len(tags)} tags, got {len(results)} answers")
        out = {}
        for tag, answer in zip(tags, results):
            if answer.error:
                out[tag.address] = TagRead(None, answer.error)
            else:
                out[tag.address] = TagRead(answer.value)
        if all(r.error for r in out.values()) and any("connection" in (r.error or "").lower() for r in out.values()):
            raise CommError(f"{self.config.code}: {next(iter(out.values())).error}")
        return out

    def browse(self) -> list[str] | None:
        try:
            return sorted(t["tag_name"] for t in self.plc.get_tag_list())
        except Exception:
            return None
