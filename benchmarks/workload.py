"""The simulated work of the buffer-size study, shared by every Python implementation.

Work is a counted busy loop (``work(units)``), never a sleep: the study is about scheduling, so
every library must do exactly the same CPU work and differ only in how messages move. A unit is
one iteration of an empty ``for`` loop (about 10-20 ns on CPython 3.11; Go's equivalent loop
is ~50x cheaper, so Go's regime numbers are a reference for shape, not absolute speed).

Regimes (the mean work per message is the same in all but ``oneway``):
  oneway     no work at all: pure message transfer (also the "one-way" shape of the table)
  balanced   producer and consumer each do WORK units per message
  bursty     the producer sends BURST messages back to back, then yields once and does
             BURST * WORK units (its pause); the consumer does WORK units per message
  jitter     the producer does WORK units per message; the consumer a seeded random
             0..2*WORK units per message
  pool       WORKERS workers over one job channel; each job costs a seeded random
             0..2*WORK units; the producer does no work
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

__all__ = ["BURST", "JITTER_SEED", "PRODUCERS", "WORK", "WORKERS", "Regime", "regime", "work"]

WORK: Final = 16  # mean units of work per message on each side
BURST: Final = 64  # messages per burst of the bursty producer
WORKERS: Final = 4  # workers in the pool regime
PRODUCERS: Final = 4  # producers of the fan-in and select shapes
JITTER_SEED: Final = 1234


def work(units: int) -> None:
    """Burn ``units`` iterations of CPU without yielding."""
    for _ in range(units):
        pass


@dataclass(frozen=True)
class Regime:
    """How a producer→consumer run spends its time besides moving messages.

    ``costs[i]`` is the consumer's work for message ``i`` (None: no work, a tighter loop).
    """

    name: str
    producer_work: int
    burst: int  # 0: steady; else pause after every ``burst`` sends
    pause: int  # units of work in a pause (after one cooperative yield)
    costs: list[int] | None


def _jitter(n: int) -> list[int]:
    rng = random.Random(JITTER_SEED)
    return [rng.randint(0, 2 * WORK) for _ in range(n)]


def regime(name: str, n: int) -> Regime:
    """The regime called ``name`` for ``n`` messages (its random costs drawn before timing)."""
    if name == "oneway":
        return Regime(name, 0, 0, 0, None)
    if name == "balanced":
        return Regime(name, WORK, 0, 0, [WORK] * n)
    if name == "bursty":
        return Regime(name, 0, BURST, BURST * WORK, [WORK] * n)
    if name == "jitter":
        return Regime(name, WORK, 0, 0, _jitter(n))
    if name == "pool":
        return Regime(name, 0, 0, 0, _jitter(n))
    raise ValueError(f"unknown regime {name!r}")
