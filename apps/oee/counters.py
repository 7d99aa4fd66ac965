"""Counter rules of shared/OEE.md §6, as pure functions."""

from __future__ import annotations

import math

DEFAULT_MODULUS = 2**32
SAFETY_FACTOR = 2.0  # a machine may briefly run up to twice its ideal rate before a jump is implausible
SLACK_UNITS = 5  # poll jitter: a few units more than elapsed/ICT are always plausible
MAX_RATE_WITHOUT_ICT = 100.0  # units per second assumed when no ideal cycle time is known


def plausible_max(elapsed_s: float, ict_s: float | None) -> int:
    """The largest advance a counter can plausibly make in ``elapsed_s`` seconds."""
    rate = (1.0 / ict_s) if ict_s else MAX_RATE_WITHOUT_ICT
    return math.ceil(max(elapsed_s, 0.0) * rate * SAFETY_FACTOR) + SLACK_UNITS


def counter_delta(previous: int, current: int, modulus: int, plausible: int) -> tuple[int, str]:
    """(delta, kind) where kind is ``advance``, ``wrap``, ``reset`` or ``implausible``.

    Raw values are normalised modulo M first, so a signed INT read as -32768 is the same as 32768 (two's
    complement). A drop is a wrap if (current − previous) mod M is plausible, otherwise a reset (delta = current).
    A rise larger than plausible is ``implausible``: the caller records it and adds nothing.
    """
    previous %= modulus
    current %= modulus
    if current >= previous:
        delta = current - previous
        return (delta, "advance") if delta <= plausible else (delta, "implausible")
    wrapped = (current - previous) % modulus
    if wrapped <= plausible:
        return wrapped, "wrap"
    if current <= plausible:
        return current, "reset"
    return current, "implausible"
