"""PLC address syntax per driver. Pure functions: the admin, import_plant and the PLC worker share them.

Each validator returns ``None`` for a valid address or a sentence saying what is wrong with it.
"""

from __future__ import annotations

import re

_LOGIX = re.compile(
    r"^(Program:[A-Za-z_]\w*\.)?[A-Za-z_]\w*(\[\d+(,\d+){0,2}\])?(\.[A-Za-z_]\w*(\[\d+(,\d+){0,2}\])?)*(\.\d{1,2})?(\{\d+\})?$"
)
_SLC = re.compile(r"^(?P<file>[NBFLTCS])(?P<num>\d{1,3}):(?P<elem>\d{1,3})(/(?P<bit>\d{1,2}))?(\{(?P<count>\d{1,3})\})?$")
_SLC_FLAT_BIT = re.compile(r"^[BN]\d{1,3}/\d+$")
_S7 = re.compile(
    r"^(DB(?P<db>\d{1,5})\.DB(?P<kind>[XBWD])(?P<byte>\d{1,5})(\.(?P<bit>\d))?"
    r"|(?P<area>[MIQE])(?P<akind>[BWD]?)(?P<abyte>\d{1,5})(\.(?P<abit>\d))?)$"
)
_SIM = re.compile(r"^[A-Za-z_][\w.\[\]]{0,63}$")


def _logix(address: str) -> str | None:
    if not _LOGIX.match(address):
        return (
            f"{address!r} is not a Logix tag name: use a tag such as Running, Counts[3], Line.Speed "
            "or Program:Main.Faults (letters, digits and underscores; array indexes in brackets)."
        )
    return None


def _slc(address: str) -> str | None:
    if _SLC_FLAT_BIT.match(address):
        return (
            f"{address!r} uses the flat bit form, which pycomm3 reads from the wrong bit; "
            "write it as file:element/bit, for example B3:1/5."
        )
    match = _SLC.match(address)
    if not match:
        return f"{address!r} is not an SLC data-table address: use N7:0, B3:1/5, F8:2, L9:0 or a block N7:0{{10}}."
    elem = int(match["elem"])
    count = int(match["count"] or 1)
    if elem >= 255 or elem + count - 1 >= 255:
        return f"{address!r} reaches element 255 or beyond, which clashes with the protocol's 0xFF marker."
    if match["bit"] is not None and int(match["bit"]) > 15:
        return f"{address!r} names bit {match['bit']}; an SLC word has bits 0 to 15."
    if match["file"] == "F" and match["bit"] is not None:
        return f"{address!r} addresses a bit of a float file; bits exist only in N and B files."
    return None


def _s7(address: str) -> str | None:
    match = _S7.match(address)
    if not match:
        return (
            f"{address!r} is not an S7 address: use DB1.DBX0.0 (bit), DB1.DBB0 (byte), DB1.DBW2 (word), "
            "DB1.DBD4 (double word), or M0.1 / MW2 / I0.0 / Q0.0."
        )
    kind = match["kind"] or match["akind"]
    bit = match["bit"] if match["kind"] else match["abit"]
    if kind == "X" and bit is None:
        return f"{address!r} names a bit area (DBX) but no bit: write it as DB1.DBX0.0."
    if kind in ("B", "W", "D") and bit is not None:
        return f"{address!r} names a bit on a byte/word/double-word address; drop the .bit or use DBX."
    if bit is not None and int(bit) > 7:
        return f"{address!r} names bit {bit}; an S7 byte has bits 0 to 7."
    if match["db"] is not None and int(match["db"]) == 0:
        return f"{address!r} names DB0; data block numbers start at 1."
    if match["area"] and not match["akind"] and bit is None:
        return f"{address!r} names a bit area but no bit: write it as {match['area']}0.0."
    return None


def _sim(address: str) -> str | None:
    if not _SIM.match(address):
        return f"{address!r} is not a simulator signal name (letters, digits, underscores, dots; up to 64)."
    return None


VALIDATORS = {"logix": _logix, "slc": _slc, "s7": _s7, "sim": _sim}


def address_error(driver: str, address: str) -> str | None:
    """Why ``address`` is not valid for ``driver``, or None when it is."""
    if not address or address != address.strip():
        return "The address is empty or has leading/trailing spaces."
    validator = VALIDATORS.get(driver)
    if validator is None:
        return f"Unknown driver {driver!r}; use one of {', '.join(sorted(VALIDATORS))}."
    return validator(address)


def host_error(driver: str, host: str) -> str | None:
    """Why ``host`` is not a usable PLC address for ``driver``, or None."""
    if driver == "sim":
        return None
    if not host:
        return "A host name or IP address is required for a real PLC."
    if not re.match(r"^[A-Za-z0-9.\-:\[\]]{1,253}$", host):
        return f"{host!r} is not a host name or IP address."
    return None
