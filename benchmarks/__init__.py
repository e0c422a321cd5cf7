"""gochan's benchmark suite: channel and goroutine costs beside a raw-greenlet floor and peers.

Run it with ``python -m benchmarks`` (``--quick`` for a smoke run, ``--only`` to select
libraries or shapes, ``--out DIR`` for where results go); ``docs/benchmarks.md`` says what each
shape measures and how to read the results.

Design: every measurement runs in a fresh process (``python -m benchmarks.worker LIB SHAPE
PARAMS`` prints one JSON object), so no library's warm state, imports or garbage leaks into
another's numbers, and a crashing or missing peer costs one row, never the run. Rounds are
interleaved across libraries (round 1 of every library, then round 2, ...) so a slow drift of
the machine spreads over all of them instead of penalising one.

Modules, one concern each:
  catalog    what is measured: shapes, parameters, targets, libraries, the plan of a run
  workload   the simulated per-message work (bursts, jitter) every implementation shares
  measure    calibration of a timed loop and resident-memory readings (inside a worker)
  worker     the subprocess entry point: one measurement, printed as JSON
  libs/      one module per library implementing the shapes; two generic drivers
  golang     Go's reference numbers: writes gobench.go to a temp dir, builds and runs it
  runner     runs the plan in subprocesses, round by round, with progress on stderr
  stats      medians, min/max, ratios to the floor, the JSON document
  report     the markdown tables printed at the end
  plot       the buffer-size study as a PNG
"""
