"""Huey's SQLite storage, the peer of benchmarks/jobs.py's SQLite table: its no-op task and its consumer.

``python -m benchmarks.jobs_huey DB WORKERS`` runs one consumer process on ``DB`` with ``WORKERS``
worker threads until SIGTERM (Huey's immediate stop); it prints ``ready`` once every worker thread
has started (Huey's startup hook runs in each). Huey keeps its defaults (``SqliteHuey``: WAL, its
own synchronous setting and busy timeout, results stored), but for how long an idle worker sleeps
between polls: 10 ms, as our workers' ``poll_interval``, where Huey's consumer would back off from
0.1 s up to 10 s and the first jobs could wait for a sleeping worker. Huey is imported inside
functions, so this module imports without it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from typing import Any

__all__ = ["POLL", "consumer_main", "installed", "make"]

POLL = 0.01


def installed() -> bool:
    return importlib.util.find_spec("huey") is not None


def make(db: str) -> tuple[Any, Any]:
    """Huey on the SQLite file ``db`` and its task ``noop`` (which returns True, so that Huey
    stores a result per finished task and the benchmark can count them)."""
    huey: Any = importlib.import_module("huey").SqliteHuey("gochan-bench", filename=db)

    @huey.task(name="noop")  # type: ignore[untyped-decorator]  # an Any decorator
    def noop() -> bool:
        return True

    return huey, noop


def consumer_main(db: str, workers: int) -> None:
    huey, _ = make(db)
    started = [0]
    mu = threading.Lock()

    @huey.on_startup()  # type: ignore[untyped-decorator]  # an Any decorator
    def ready() -> None:
        with mu:
            started[0] += 1
            if started[0] == workers:
                print("ready", flush=True)

    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", initial_delay=POLL, max_delay=POLL, periodic=False
    )
    consumer.run()


if __name__ == "__main__":
    # Huey names a task by its module: the task must come from benchmarks.jobs_huey, not __main__
    importlib.import_module("benchmarks.jobs_huey").consumer_main(sys.argv[1], int(sys.argv[2]))
