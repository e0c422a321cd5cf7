"""Run a plan: every config for every library, round after round, each in a fresh process.

Order: for each round, for each config, every library in turn (the library order rotates by one
each round), so the rounds of one library are spread over the whole run and any drift of the
machine (another process, thermal state) lands on all libraries alike.

Verdicts per (library, config): samples; "unsupported" (the worker said so: asked once, not
again); an error (crash, timeout, unreadable output: reported, and tried again next round, since
gochan may be mid-edit while the suite runs); "not installed" (found before the run, or a
worker's import failed: the library is dropped from the run).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .catalog import Config, Library, Mode
from .golang import GoPeer

__all__ = ["LibStatus", "Outcome", "run_plan"]

ROOT = Path(__file__).resolve().parent.parent  # the directory holding the benchmarks package
DISTRIBUTIONS = {"gochan": "pygochan", "greenlet": "greenlet", "gevent": "gevent", "trio": "trio",
                 "anyio": "anyio", "aiochan": "aiochan", "goless": "goless"}  # fmt: skip


@dataclass
class LibStatus:
    """A library's standing in this run: ``status`` is "ok" or why it was not measured."""

    name: str
    title: str
    status: str
    version: str | None


@dataclass
class Outcome:
    """What the rounds produced for one (library, config)."""

    lib: str
    config: Config
    samples: list[float] = field(default_factory=list)
    ops: list[int] = field(default_factory=list)
    unit: str = ""
    note: str | None = None
    extra: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # failed rounds (retried in the next round)
    skipped: str | None = None  # why no (more) samples are taken: unsupported or not installed


def _version(lib: Library) -> str | None:
    if lib.name in ("asyncio", "threads"):
        return f"Python {sys.version.split()[0]}"
    try:
        return importlib.metadata.version(DISTRIBUTIONS[lib.name])
    except (KeyError, importlib.metadata.PackageNotFoundError):
        return None


def library_status(libs: list[Library], go: GoPeer | None) -> dict[str, LibStatus]:
    """Which libraries can run here, found without importing any of them."""
    out: dict[str, LibStatus] = {}
    for lib in libs:
        if lib.module is None:
            assert go is not None
            status = go.reason or "ok"
            version = go.version
        else:
            status = "ok" if importlib.util.find_spec(lib.module) is not None else "not installed"
            version = _version(lib) if status == "ok" else None
        out[lib.name] = LibStatus(lib.name, lib.title, status, version)
    return out


def _format(value: float, unit: str) -> str:
    return f"{value:,.0f} B" if unit == "bytes" else f"{value:,.0f} ns"


@dataclass
class _Progress:
    out: TextIO
    total: int
    done: int = 0
    start: float = field(default_factory=time.monotonic)

    def step(self, text: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        line = f"[{self.done:>4}/{self.total}] {text}  (eta {eta:4.0f} s)"
        if self.out.isatty():
            self.out.write(f"\r\x1b[K{line}")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.out.isatty():
            self.out.write("\n")
        self.out.write(f"measured in {time.monotonic() - self.start:.0f} s\n")
        self.out.flush()


def _worker_command(lib: str, config: Config, mode: Mode, go: GoPeer | None) -> list[str]:
    params = config.params(mode)
    if lib == "go":
        assert go is not None
        return go.command(config.shape, params)
    return [sys.executable, "-m", "benchmarks.worker", lib, config.shape, json.dumps(params)]


def _measure(cmd: list[str], timeout: float) -> dict[str, Any]:
    """Run one worker; its JSON verdict, or ``{"error": ...}``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    try:
        verdict = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"unreadable output: {lines[-1][:200]}"}
    if not isinstance(verdict, dict):
        return {"error": f"unreadable output: {lines[-1][:200]}"}
    return verdict


def _record(o: Outcome, verdict: dict[str, Any]) -> str:
    """Fold one verdict into ``o``; the progress text."""
    if "value" in verdict:
        value = float(verdict["value"])
        o.samples.append(value)
        o.ops.append(int(verdict.get("n", 0)))
        o.unit = str(verdict.get("unit", "ns"))
        note = verdict.get("note")
        o.note = str(note) if note else None
        extra = verdict.get("extra")
        if isinstance(extra, dict):
            for k, v in extra.items():
                o.extra.setdefault(str(k), []).append(float(v))
        return _format(value, o.unit)
    if "unsupported" in verdict:
        o.skipped = f"unsupported: {verdict['unsupported']}"
        return o.skipped
    if "missing" in verdict:
        o.skipped = str(verdict["missing"])
        return o.skipped
    o.errors.append(f"error: {verdict.get('error', verdict)}")
    return o.errors[-1]


def run_plan(
    libs: list[Library],
    configs: list[Config],
    *,
    mode: Mode,
    go: GoPeer | None,
    status: dict[str, LibStatus],
    progress: TextIO,
    timeout: float,
) -> list[Outcome]:
    """Measure every config for every runnable library, ``mode.rounds`` times, interleaved."""
    active = [lib.name for lib in libs if status[lib.name].status == "ok"]
    outcomes = {(lib, c.key): Outcome(lib, c) for lib in active for c in configs}
    bar = _Progress(progress, mode.rounds * len(configs) * len(active))
    for r in range(mode.rounds):
        order = active[r % len(active) :] + active[: r % len(active)] if active else []
        for config in configs:
            for lib in order:
                o = outcomes[(lib, config.key)]
                if o.skipped is not None:
                    bar.step(f"round {r + 1}/{mode.rounds}  {lib:<8} {config.key:<14} skipped")
                    continue
                verdict = _measure(_worker_command(lib, config, mode, go), timeout)
                text = _record(o, verdict)
                if "missing" in verdict:
                    status[lib].status = str(verdict["missing"])
                    for other in configs:
                        outcomes[(lib, other.key)].skipped = status[lib].status
                bar.step(f"round {r + 1}/{mode.rounds}  {lib:<8} {config.key:<14} {text}")
    bar.finish()
    return list(outcomes.values())
