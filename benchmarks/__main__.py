"""``python -m benchmarks``: run the suite, print the tables, write results.json and buffer-study.png.

Options: ``--quick`` (smoke run, under a minute on 2 cores), ``--only a,b`` (libraries and/or
shapes, and/or ``patterns`` (benchmarks/patterns.py: pools and pipelines), ``jobs``
(benchmarks/jobs.py: the job system) and ``wakeorder`` (benchmarks/wakeorder.py: parked selects
woken in any order), groups which also run when ``--only`` is not given; the
greenlet floor always runs), ``--rounds N``, ``--out DIR`` (default ``benchmarks/results/``,
git-ignored). Progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path

from . import catalog, golang, jobs, jobs_redis, patterns, report, runner, stats, wakeorder
from .plot import plot_buffer_study

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 3 buffer sizes, 1 round, short measurements")
    p.add_argument("--only", metavar="NAMES", help="comma-separated libraries and/or shapes (greenlet always runs)")
    p.add_argument("--rounds", type=int, metavar="N", help="rounds per measurement (default 3; --quick: 1)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help=f"output dir (default {DEFAULT_OUT})")
    p.add_argument("--timeout", type=float, default=300.0, metavar="S", help="seconds before a worker is killed")
    return p.parse_args(argv)


def _machine(go: golang.GoPeer | None) -> dict[str, str | int | None]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "go": go.version if go else None,
    }


def main(argv: list[str]) -> int:
    args = _args(argv)
    tokens = [t.strip() for t in (args.only or "").split(",") if t.strip()]
    groups = {  # benchmarks/<group>.py
        patterns.GROUP: patterns.run_in_suite,
        jobs.GROUP: jobs.run_in_suite,
        jobs_redis.GROUP: jobs_redis.run_in_suite,
        wakeorder.GROUP: wakeorder.run_in_suite,
    }
    with_groups = [run_group for g, run_group in groups.items() if not tokens or g in tokens]
    if tokens and all(t in groups for t in tokens):
        for run_group in with_groups:
            run_group(args.quick, args.rounds, args.out)
        return 0
    args.only = ",".join(t for t in tokens if t not in groups) or None
    try:
        libs, shapes = catalog.select_names(args.only)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    mode = catalog.Mode.of(args.quick, args.rounds)
    configs = catalog.plan(shapes, mode)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gochan-bench-") as tmp:
        go = None
        if any(lib.name == "go" for lib in libs):
            print("building the Go peer ...", file=sys.stderr)
            go = golang.prepare(Path(tmp))
        status = runner.library_status(libs, go)
        for s in status.values():
            if s.status != "ok":
                print(f"skipping {s.name}: {s.status}", file=sys.stderr)
        outcomes = runner.run_plan(
            libs, configs, mode=mode, go=go, status=status, progress=sys.stderr, timeout=args.timeout
        )
    rep = stats.build(
        outcomes,
        command=shlex.join(["python", "-m", "benchmarks", *argv]),
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        machine=_machine(go),
        mode=mode,
        libraries=status,
    )
    results = args.out / "results.json"
    results.write_text(json.dumps(rep.to_json(), indent=1, ensure_ascii=False) + "\n")
    png = args.out / "buffer-study.png"
    try:
        plot_buffer_study(rep, png)
    except ImportError as e:  # matplotlib comes with the bench extra; the tables do not need it
        print(f"no plot: {e} (pip install -e '.[bench]')", file=sys.stderr)
    else:
        print(f"wrote {png}", file=sys.stderr)
    sys.stdout.write(report.render(rep))
    print(f"wrote {results}", file=sys.stderr)
    for run_group in with_groups:
        run_group(args.quick, args.rounds, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
