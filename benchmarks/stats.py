"""From samples to results: medians with min/max over rounds, floors, ratios, the JSON document.

A ratio is the median over rounds of (this round's sample / the floor's sample from the same round):
within a round the floor and the library are measured minutes apart at most, so a machine that
slows down for a while slows both, and the ratio stays put. When a round failed (the sample lists
do not line up) it is the median divided by the floor's median instead.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from .catalog import SHAPE_BY_NAME, SUMMARY, Mode
from .runner import LibStatus, Outcome

__all__ = ["SCHEMA", "Report", "Result", "Skip", "Stat", "SummaryLine", "build"]

SCHEMA = "gochan-benchmarks/1"


@dataclass(frozen=True)
class Stat:
    """Median, min and max of a list of samples."""

    median: float
    min: float
    max: float

    @staticmethod
    def of(xs: list[float]) -> Stat:
        return Stat(statistics.median(xs), min(xs), max(xs))

    def scaled(self, k: float) -> Stat:
        return Stat(self.median * k, self.min * k, self.max * k)

    def rate(self) -> Stat:
        """ns per message → messages per second (min and max swap)."""
        return Stat(1e9 / self.median, 1e9 / self.max, 1e9 / self.min)


@dataclass(frozen=True)
class Result:
    """One (library, shape, buffer) measured over the rounds."""

    lib: str
    shape: str
    buffer: int | None
    unit: str  # "ns" per op or "bytes" per goroutine
    op: str
    stat: Stat
    samples: list[float]
    ops: list[int]
    ratio: float | None  # median over the floor's median; None when the shape has no floor
    msgs_per_s: Stat | None
    note: str | None
    extra: dict[str, Stat] = field(default_factory=dict)


@dataclass(frozen=True)
class Skip:
    lib: str
    shape: str
    buffer: int | None
    reason: str


@dataclass(frozen=True)
class SummaryLine:
    """A row of the gochan-vs-floor table."""

    label: str
    shape: str
    buffer: int | None
    unit: str
    floor: float | None
    gochan: Stat | None
    ratio: float | None
    target: float | None

    @property
    def meets(self) -> bool | None:
        if self.ratio is None or self.target is None:
            return None
        return self.ratio <= self.target


@dataclass
class Report:
    """Everything a run found; ``to_json`` is the results file."""

    command: str
    created: str
    machine: dict[str, str | int | None]
    mode: Mode
    libraries: dict[str, LibStatus]
    floors: dict[str, float]
    results: list[Result]
    skips: list[Skip]
    summary: list[SummaryLine]

    def result(self, lib: str, shape: str, buffer: int | None = None) -> Result | None:
        for r in self.results:
            if r.lib == lib and r.shape == shape and r.buffer == buffer:
                return r
        return None

    def skip(self, lib: str, shape: str, buffer: int | None = None) -> Skip | None:
        for s in self.skips:
            if s.lib == lib and s.shape == shape and s.buffer == buffer:
                return s
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "command": self.command,
            "created": self.created,
            "machine": self.machine,
            "mode": asdict(self.mode),
            "libraries": {k: asdict(v) for k, v in self.libraries.items()},
            "floors": self.floors,
            "summary": [{**asdict(s), "meets": s.meets} for s in self.summary],
            "results": [asdict(r) for r in self.results],
            "skipped": [asdict(s) for s in self.skips],
        }


def _note(o: Outcome) -> str | None:
    """The library's note, plus how many rounds failed (their samples are missing)."""
    if not o.errors:
        return o.note
    failed = f"{len(o.errors)} round(s) failed: {o.errors[-1]}"
    return f"{o.note}; {failed}" if o.note else failed


def _floor_rounds(outcomes: list[Outcome]) -> dict[str, list[float]]:
    """The floors' samples, round by round (as ``_floors``, before taking medians)."""
    rounds: dict[str, list[float]] = {}
    for o in outcomes:
        if o.lib != "greenlet" or not o.samples:
            continue
        if o.config.shape == "pingpong":
            rounds["roundtrip"] = list(o.samples)
            rounds["switch"] = [x / 2 for x in o.samples]
        elif o.config.shape == "spawn":
            rounds["spawn"] = list(o.samples)
        elif o.config.shape == "memory":
            rounds["parked"] = list(o.samples)
    return rounds


def _ratio(
    samples: list[float], stat: Stat, kind: str, floors: dict[str, float], rounds: dict[str, list[float]]
) -> float | None:
    """Median of per-round ratios to the floor (see the module docstring); None without a floor."""
    floor = floors.get(kind)
    if not floor:
        return None
    per_round = rounds.get(kind, [])
    if len(per_round) == len(samples) and all(per_round):
        return statistics.median(x / f for x, f in zip(samples, per_round, strict=True))
    return stat.median / floor


def _floors(by_key: dict[tuple[str, str, int | None], Stat]) -> dict[str, float]:
    """The raw-greenlet floors of this run (see catalog's docstring), in ns or bytes."""
    floors: dict[str, float] = {}
    if (rt := by_key.get(("greenlet", "pingpong", None))) is not None:
        floors["roundtrip"] = rt.median
        floors["switch"] = rt.median / 2
    if (sp := by_key.get(("greenlet", "spawn", None))) is not None:
        floors["spawn"] = sp.median
    if (pk := by_key.get(("greenlet", "memory", None))) is not None:
        floors["parked"] = pk.median
    return floors


def build(
    outcomes: list[Outcome],
    *,
    command: str,
    created: str,
    machine: dict[str, str | int | None],
    mode: Mode,
    libraries: dict[str, LibStatus],
) -> Report:
    """Aggregate the runner's outcomes into a ``Report``."""
    measured = [o for o in outcomes if o.samples]
    by_key = {(o.lib, o.config.shape, o.config.buffer): Stat.of(o.samples) for o in measured}
    floors = _floors(by_key)
    rounds = _floor_rounds(measured)
    samples_by_key = {(o.lib, o.config.shape, o.config.buffer): list(o.samples) for o in measured}
    results: list[Result] = []
    for o in measured:
        shape = SHAPE_BY_NAME[o.config.shape]
        stat = by_key[(o.lib, shape.name, o.config.buffer)]
        results.append(
            Result(
                lib=o.lib,
                shape=shape.name,
                buffer=o.config.buffer,
                unit=o.unit,
                op=shape.op,
                stat=stat,
                samples=o.samples,
                ops=o.ops,
                ratio=_ratio(list(o.samples), stat, shape.floor, floors, rounds),
                msgs_per_s=stat.rate() if shape.op == "msg" else None,
                note=_note(o),
                extra={k: Stat.of(v) for k, v in o.extra.items()},
            )
        )
    skips = [
        Skip(o.lib, o.config.shape, o.config.buffer, o.skipped or o.errors[-1])
        for o in outcomes
        if not o.samples and (o.skipped or o.errors)
    ]
    summary = []
    for row in SUMMARY:
        shape = SHAPE_BY_NAME[row.shape]
        floor = floors.get(shape.floor)
        gochan = by_key.get(("gochan", row.shape, row.buffer))
        key = ("gochan", row.shape, row.buffer)
        ratio = None if gochan is None else _ratio(samples_by_key[key], gochan, shape.floor, floors, rounds)
        summary.append(SummaryLine(row.label, row.shape, row.buffer, shape.unit, floor, gochan, ratio, row.target))
    return Report(command, created, machine, mode, libraries, floors, results, skips, summary)
