"""What every driver shares. Drivers are pure Python (no ORM): the scanner gives them a ``ConnectionConfig``.

A driver object owns ONE socket for its whole life. After any communication error the scanner closes it and
builds a new driver object, so a socket that timed out is never reused (pycomm3 does not match replies to
requests: a late reply on a reused socket is read as the answer to the next request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class CommError(Exception):
    """The PLC could not be reached or answered garbage: close, back off, reopen with a new driver."""


@dataclass(frozen=True)
class TagSpec:
    """One mapped tag. ``group`` (equipment id) and ``signal`` only matter to the simulator."""

    address: str
    data_type: str
    signal: str = ""
    group: int = 0
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class TagRead:
    """The value of one tag in one scan. ``error`` set means quality bad (value is None)."""

    value: Any
    error: str | None = None

    @property
    def quality(self) -> str:
        return "good" if self.error is None else f"bad: {self.error}"


@dataclass(frozen=True)
class ConnectionConfig:
    id: int
    code: str
    driver: str
    host: str = ""
    port: int | None = None
    slot: int = 0
    rack: int = 0
    interval_s: float = 1.0
    timeout_s: float = 2.0
    sim_seed: int = 1
    tags: tuple[TagSpec, ...] = ()
    # Simulator only: fault bits of the catalog per equipment id, so the virtual machine raises real faults.
    sim_fault_bits: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # Logix only: injected tag definitions {name: {"data_type": "DINT", "dimensions": [2, 0, 0]}}.
    logix_tag_defs: dict[str, dict] = field(default_factory=dict)


class Driver:
    """Base class. ``read`` returns one TagRead per TagSpec (by address) or raises CommError."""

    def __init__(self, config: ConnectionConfig):
        self.config = config

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the socket; never raises."""

    def abort(self) -> None:
        """Called by the watchdog from ANOTHER thread when a poll overran: break the blocked or spinning socket
        so the polling thread gets an error instead of hanging."""
        self.close()

    def read(self, tags: tuple[TagSpec, ...]) -> dict[str, TagRead]:
        raise NotImplementedError

    def browse(self) -> list[str] | None:
        """Tag names the controller reports, or None where the protocol/controller cannot list them."""
        return None


def kill_socket(sock) -> None:
    """Make a socket that another thread is blocked (or spinning) on fail at once."""
    import socket

    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
