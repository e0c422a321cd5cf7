"""What the suite measures: shapes, their parameters and targets, the libraries, a run's plan.

Everything here is data; nothing is measured. A *shape* is one communication pattern (ping-pong,
one-way, fan-in, ...); a *config* is a shape with its parameters (the buffer size); the *plan* of a
run is every config for every library, repeated for each round.

Floors (what a ratio divides by, all measured with raw greenlets in the same run; the regimes
with simulated work have none, their numbers are compared across libraries and buffer sizes):
  round trip   two greenlets switching directly: one round trip = 2 switches
  switch       half a round trip: the least a message between two greenlets can cost
  spawn        creating a fresh greenlet and running it to completion
  parked       a greenlet parked inside a Python function (one that switched back to main and waits)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "BUFFERS_FULL",
    "BUFFERS_QUICK",
    "LIBRARIES",
    "REGIMES",
    "SHAPES",
    "SUMMARY",
    "Config",
    "Library",
    "Mode",
    "Shape",
    "SummaryRow",
    "plan",
    "select_names",
]


@dataclass(frozen=True)
class Library:
    """A library under test. ``module`` is what must be importable for it to run (None: Go)."""

    name: str
    module: str | None
    title: str


LIBRARIES: Final = (
    Library("greenlet", "greenlet", "raw greenlet (floor)"),
    Library("gochan", "gochan", "gochan"),
    Library("gevent", "gevent", "gevent (Channel / Queue)"),
    Library("trio", "trio", "trio (memory channels)"),
    Library("anyio", "anyio", "anyio (memory object streams, asyncio backend)"),
    Library("asyncio", "asyncio", "asyncio (Queue)"),
    Library("threads", "threading", "threads + queue.Queue"),
    Library("aiochan", "aiochan", "aiochan (Chan on asyncio)"),
    Library("goless", "goless", "goless (gevent backend)"),
    Library("go", None, "Go (go build, GOMAXPROCS=cores)"),
)


@dataclass(frozen=True)
class Shape:
    """One communication pattern. ``buffered`` shapes are swept over buffer sizes."""

    name: str
    title: str
    unit: str  # "ns" per op, or "bytes" per parked goroutine
    op: str  # what one op is: "round trip", "msg", "spawn", "goroutine"
    buffered: bool
    floor: str  # which floor its ratio divides by: "roundtrip", "switch", "spawn", "parked"; "": none


SHAPES: Final = (
    Shape("pingpong", "ping-pong round trip", "ns", "round trip", False, "roundtrip"),
    Shape("oneway", "one-way producer→consumer (no work)", "ns", "msg", True, "switch"),
    Shape("balanced", "buffer study: balanced", "ns", "msg", True, ""),
    Shape("bursty", "buffer study: bursty producer", "ns", "msg", True, ""),
    Shape("jitter", "buffer study: jittery consumer", "ns", "msg", True, ""),
    Shape("pool", "buffer study: worker pool", "ns", "msg", True, ""),
    Shape("fanin", "fan-in 4 producers → 1", "ns", "msg", False, "switch"),
    Shape("select", "select over 4 channels", "ns", "msg", False, "switch"),
    Shape("spawn", "spawn + finish", "ns", "spawn", False, "spawn"),
    Shape("memory", "memory per parked goroutine", "bytes", "goroutine", False, "parked"),
)
SHAPE_BY_NAME: Final = {s.name: s for s in SHAPES}

# The buffer-size study: the one-way shape (no work) and four regimes with simulated work.
REGIMES: Final = ("oneway", "balanced", "bursty", "jitter", "pool")

BUFFERS_FULL: Final = (0, *(1 << k for k in range(11)))  # 0, 1, 2, 4, ..., 1024
BUFFERS_QUICK: Final = (0, 32, 1024)


@dataclass(frozen=True)
class SummaryRow:
    """A row of the gochan-vs-floor table: a shape (at a buffer size), its floor and target."""

    label: str
    shape: str
    buffer: int | None
    target: float | None  # the ratio to the floor gochan should stay under; None: no target


SUMMARY: Final = (
    SummaryRow("ping-pong round trip", "pingpong", None, 4.0),
    SummaryRow("one-way, buffer 0", "oneway", 0, None),
    SummaryRow("one-way, buffer 1024", "oneway", 1024, 1.5),
    SummaryRow("fan-in 4→1", "fanin", None, None),
    SummaryRow("select over 4", "select", None, 8.0),
    SummaryRow("spawn + finish", "spawn", None, 0.3),
    SummaryRow("parked goroutine memory", "memory", None, 1.3),
)


@dataclass(frozen=True)
class Mode:
    """How hard a run measures: buffer sizes, rounds, time per measurement, parked count."""

    quick: bool
    buffers: tuple[int, ...]
    rounds: int
    target_s: float  # a timed run is calibrated to take about this long
    repeat: int  # timed runs per measurement; the fastest is the sample
    parked: int  # goroutines parked for the memory shape

    @staticmethod
    def of(quick: bool, rounds: int | None) -> Mode:
        if quick:
            return Mode(True, BUFFERS_QUICK, rounds or 1, 0.01, 3, 5000)
        return Mode(False, BUFFERS_FULL, rounds or 3, 0.05, 3, 20000)


@dataclass(frozen=True)
class Config:
    """One shape with its parameters; ``key`` names it in progress lines and the JSON."""

    shape: str
    buffer: int | None = None

    @property
    def key(self) -> str:
        return self.shape if self.buffer is None else f"{self.shape}[{self.buffer}]"

    def params(self, mode: Mode) -> dict[str, float | int]:
        """The worker's PARAMS for this config under ``mode``."""
        p: dict[str, float | int] = {"target_s": mode.target_s, "repeat": mode.repeat}
        if self.buffer is not None:
            p["buffer"] = self.buffer
        if self.shape == "memory":
            p["count"] = mode.parked
        return p


def select_names(only: str | None) -> tuple[list[Library], list[Shape]]:
    """Split ``--only a,b,c`` into libraries and shapes; either list empty means all of them.

    The greenlet floor is always kept: every ratio divides by it. Raises ``ValueError`` naming
    an unknown token and the valid ones.
    """
    libs = {lib.name: lib for lib in LIBRARIES}
    if not only:
        return list(LIBRARIES), list(SHAPES)
    want_libs: list[str] = []
    want_shapes: list[str] = []
    for token in (t.strip() for t in only.split(",")):
        if token in libs:
            want_libs.append(token)
        elif token in SHAPE_BY_NAME:
            want_shapes.append(token)
        elif token:
            valid = ", ".join([*libs, *SHAPE_BY_NAME])
            raise ValueError(f"--only: unknown library or shape {token!r}; choose from {valid}")
    chosen_libs = [lib for lib in LIBRARIES if not want_libs or lib.name in want_libs or lib.name == "greenlet"]
    chosen_shapes = [s for s in SHAPES if not want_shapes or s.name in want_shapes]
    needs_switch = any(s.floor in ("switch", "roundtrip") for s in chosen_shapes)
    if needs_switch and SHAPE_BY_NAME["pingpong"] not in chosen_shapes:
        # the switch floor is half the greenlet round trip: measure it whenever a ratio needs it
        chosen_shapes.insert(0, SHAPE_BY_NAME["pingpong"])
    return chosen_libs, chosen_shapes


def plan(shapes: list[Shape], mode: Mode) -> list[Config]:
    """Every config of one round, in a fixed order (libraries are interleaved per config)."""
    out: list[Config] = []
    for shape in shapes:
        if shape.buffered:
            out.extend(Config(shape.name, b) for b in mode.buffers)
        else:
            out.append(Config(shape.name))
    return out
