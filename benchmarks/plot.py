"""The buffer-size study as a PNG: messages per second against buffer size, one line per library.

One panel per regime (log x, with 0 at the left edge of a symlog axis; log y), the median as a
line and the min-max over rounds as a band. matplotlib runs on the Agg backend: no display.
"""

from __future__ import annotations

from pathlib import Path

from .catalog import LIBRARIES, REGIMES, SHAPE_BY_NAME
from .stats import Report

__all__ = ["plot_buffer_study"]

COLORS = {
    "greenlet": "#555555",
    "gochan": "#d62728",
    "gevent": "#1f77b4",
    "trio": "#2ca02c",
    "anyio": "#98df8a",
    "asyncio": "#9467bd",
    "threads": "#8c564b",
    "aiochan": "#e377c2",
    "goless": "#17becf",
    "go": "#ff7f0e",
}


def plot_buffer_study(rep: Report, path: Path) -> None:
    """Write the study's PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5), constrained_layout=True)
    panels = list(axes.flat)
    buffers = list(rep.mode.buffers)
    handles = {}
    for ax, regime in zip(panels, REGIMES, strict=False):
        for lib in LIBRARIES:
            points = [(b, r) for b in buffers if (r := rep.result(lib.name, regime, b)) and r.msgs_per_s]
            if not points:
                continue
            xs = [b for b, _ in points]
            rates = [r.msgs_per_s for _, r in points if r.msgs_per_s]
            style = "--" if lib.name == "greenlet" else "-"
            (line,) = ax.plot(xs, [s.median for s in rates], style, marker="o", ms=3, color=COLORS[lib.name])
            ax.fill_between(xs, [s.min for s in rates], [s.max for s in rates], color=COLORS[lib.name], alpha=0.15)
            handles[lib.title] = line
        ax.set_title(SHAPE_BY_NAME[regime].title)
        ax.set_xscale("symlog", base=2, linthresh=1)
        ax.set_yscale("log")
        ax.set_xticks(buffers)
        ax.set_xticklabels([str(b) for b in buffers], fontsize=7)
        ax.set_xlabel("channel buffer size")
        ax.set_ylabel("messages / s")
        ax.grid(True, which="both", alpha=0.3)
    legend_ax = panels[len(REGIMES)]
    legend_ax.axis("off")
    legend_ax.legend(list(handles.values()), list(handles.keys()), loc="center", fontsize=10, frameon=False)
    m = rep.machine
    fig.suptitle(
        f"gochan buffer-size study — {m.get('cpus')} cores, Python {m.get('python')}; "
        f"median of {rep.mode.rounds} round(s), band = min-max"
    )
    fig.savefig(path, dpi=100)
    plt.close(fig)
