"""The tables printed at the end of a run, as GitHub markdown (they paste into docs as they are).

1. gochan against the raw-greenlet floor, with the targets
2. every library on the same shapes: median, and median ÷ the row's floor
3. the buffer-size study: thousands of messages per second by buffer size, per regime

Every ratio says what it divides by: the floor is a column of its own, named with what it is
("1 switch", "2 switches", ...), and the headers spell the division out. The greenlet column of
table 2 is raw greenlet running the shape itself, which is not always the floor (one-way's floor
is half a round trip), so it carries no ratio.
"""

from __future__ import annotations

from .catalog import LIBRARIES, REGIMES, SHAPE_BY_NAME, SUMMARY
from .stats import Report, Stat

__all__ = ["fmt_bytes", "fmt_ns", "render"]

FLOOR_WHAT = {
    "roundtrip": "2 switches",
    "switch": "1 switch",
    "spawn": "fresh greenlet",
    "parked": "greenlet parked in Python",
}


def fmt_ns(ns: float) -> str:
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.2f} ms"


def fmt_bytes(b: float) -> str:
    return f"{b:.0f} B" if abs(b) < 1024 else f"{b / 1024:.1f} KiB"


def fmt(value: float, unit: str) -> str:
    return fmt_bytes(value) if unit == "bytes" else fmt_ns(value)


def fmt_stat(s: Stat, unit: str) -> str:
    return f"{fmt(s.median, unit)} ({fmt(s.min, unit)} - {fmt(s.max, unit)})"


def fmt_rate(msgs_per_s: float) -> str:
    k = msgs_per_s / 1e3
    return f"{k:,.0f}" if k >= 100 else f"{k:.1f}" if k >= 10 else f"{k:.2f}"


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    cols = list(zip(widths, align, strict=True))

    def line(cells: list[str]) -> str:
        padded = (c.ljust(w) if a == "l" else c.rjust(w) for c, (w, a) in zip(cells, cols, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 1) + ":" if a == "r" else "-" * (w + 2) for w, a in cols) + "|"
    return [line(header), rule, *(line(r) for r in rows)]


def _summary(rep: Report) -> list[str]:
    rows = []
    for s in rep.summary:
        if s.gochan is None and s.floor is None:
            continue
        floor = _floor_cell(s.shape, s.floor, s.unit)
        gochan = fmt_stat(s.gochan, s.unit) if s.gochan else "—"
        ratio = f"{s.ratio:.2f}x" if s.ratio is not None else "—"
        target = f"<= {s.target:g}x" if s.target is not None else "—"
        verdict = {True: "meets", False: "misses", None: ""}[s.meets]
        rows.append([s.label, floor, gochan, ratio, target, verdict])
    out = ["gochan against the raw-greenlet floor (median of rounds, min - max in parentheses):", ""]
    out += _table(["shape", "floor (raw greenlet)", "gochan", "gochan ÷ floor", "target (÷ floor)", ""], rows, "lllrrl")
    floor_mem = rep.result("greenlet", "memory")
    if floor_mem is not None and "parked_in_c_bytes" in floor_mem.extra:
        in_c = floor_mem.extra["parked_in_c_bytes"].median
        out += [
            "",
            f"The memory floor is a greenlet parked inside a Python function; one that never ran Python "
            f"code (parked in C) takes {fmt_bytes(in_c)}: see docs.",
        ]
    return out


def _floor_cell(shape: str, floor: float | None, unit: str) -> str:
    """What a row's ratios divide by: the floor's value and what it is, e.g. ``125 ns (1 switch)``."""
    return f"{fmt(floor, unit)} ({FLOOR_WHAT[SHAPE_BY_NAME[shape].floor]})" if floor else "—"


def _peers(rep: Report) -> list[str]:
    libs = [lib.name for lib in LIBRARIES if lib.name in rep.libraries and rep.libraries[lib.name].status == "ok"]
    rows = []
    for row in SUMMARY:
        kind = SHAPE_BY_NAME[row.shape].floor
        cells = [row.label, _floor_cell(row.shape, rep.floors.get(kind), SHAPE_BY_NAME[row.shape].unit)]
        for lib in libs:
            r = rep.result(lib, row.shape, row.buffer)
            if r is not None:
                ratio = f" ({r.ratio:.1f}x)" if r.ratio is not None and lib != "greenlet" else ""
                cells.append(fmt(r.stat.median, r.unit) + ratio)
            else:
                cells.append("n/a" if rep.skip(lib, row.shape, row.buffer) else "—")
        if any(c not in ("n/a", "—") for c in cells[2:]):
            rows.append(cells)
    out = ["Every library on the same shapes: median, and in parentheses median ÷ the row's floor:", ""]
    out += _table(["shape", "floor (raw greenlet)", *libs], rows, "ll" + "r" * len(libs))
    if "greenlet" in libs:
        out += [
            "",
            "The greenlet column is raw greenlet running the shape itself (no ratio); a message shape's "
            "floor is 1 switch, half the greenlet ping-pong round trip.",
        ]
    return out


def _buffer_study(rep: Report) -> list[str]:
    out: list[str] = []
    buffers = list(rep.mode.buffers)
    for regime in REGIMES:
        rows = []
        for lib in LIBRARIES:
            cells = [lib.name]
            for b in buffers:
                r = rep.result(lib.name, regime, b)
                cells.append(fmt_rate(r.msgs_per_s.median) if r is not None and r.msgs_per_s else "—")
            if any(c != "—" for c in cells[1:]):
                rows.append(cells)
        if not rows:
            continue
        title = SHAPE_BY_NAME[regime].title
        out += ["", f"{title} — thousands of messages per second by buffer size:", ""]
        out += _table(["library", *map(str, buffers)], rows, "l" + "r" * len(buffers))
    return out


def _notes(rep: Report) -> list[str]:
    out: list[str] = []
    missing = [f"{s.name} ({s.status})" for s in rep.libraries.values() if s.status != "ok"]
    if missing:
        out.append("- not measured: " + "; ".join(missing) + ".")
    reasons: dict[str, list[str]] = {}
    for s in rep.skips:
        if rep.libraries[s.lib].status != "ok":
            continue
        where = s.shape if s.buffer is None else f"{s.shape}[{s.buffer}]"
        reasons.setdefault(f"{s.lib}: {s.reason}", []).append(where)
    out += [f"- n/a — {k} ({', '.join(v)})" for k, v in reasons.items()]
    notes: dict[str, set[str]] = {}
    for r in rep.results:
        if r.note:
            notes.setdefault(f"{r.lib}: {r.note}", set()).add(r.shape)
    out += [f"- note — {k} ({', '.join(sorted(v))})" for k, v in notes.items()]
    return out


def render(rep: Report) -> str:
    """All the tables and notes, ready to print."""
    m = rep.machine
    head = [
        f"gochan benchmarks — {rep.command}",
        f"{m.get('cpus')} cores, Python {m.get('python')}, {m.get('platform')}; "
        f"{rep.mode.rounds} round(s), each a fresh process keeping the fastest of {rep.mode.repeat} "
        f"timed runs of ~{rep.mode.target_s:g} s",
        "",
    ]
    body = [*_summary(rep), "", *_peers(rep), *_buffer_study(rep)]
    notes = _notes(rep)
    return "\n".join(head + body + (["", *notes] if notes else [])) + "\n"
