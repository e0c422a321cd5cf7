"""The peers' tasks and worker settings for benchmarks/jobs_redis.py, importable by their workers.

Each peer's no-op task increments ``bench:done`` on the benchmark's Redis (the peers have no common
way to tell a finished task otherwise); the URL comes from ``$GOCHAN_BENCH_REDIS``. Peers are
imported inside functions or under their own guards, so that this module imports without them.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

URL = os.environ.get("GOCHAN_BENCH_REDIS", "redis://127.0.0.1:6379/0")
COUNTER = "bench:done"

_client: Any = None


def done() -> None:
    """Count one finished task (a connection per worker process)."""
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(URL)
    _client.incr(COUNTER)


def rq_noop() -> None:
    done()


async def arq_noop(ctx: dict[str, Any]) -> None:
    await ctx["redis"].incr(COUNTER)


def arq_settings() -> type:
    RedisSettings: Any = importlib.import_module("arq.connections").RedisSettings  # Any: may be missing

    class WorkerSettings:
        functions = [arq_noop]  # noqa: RUF012 - arq reads class attributes
        redis_settings = RedisSettings.from_dsn(URL)
        max_jobs = 10  # arq's default
        keep_result = 0

    return WorkerSettings


if os.environ.get("GOCHAN_BENCH_PEER") == "arq":
    WorkerSettings = arq_settings()

if os.environ.get("GOCHAN_BENCH_PEER") == "dramatiq":
    dramatiq: Any = importlib.import_module("dramatiq")
    dramatiq.set_broker(importlib.import_module("dramatiq.brokers.redis").RedisBroker(url=URL))

    @dramatiq.actor(max_retries=0)  # type: ignore[untyped-decorator]  # an Any decorator
    def dramatiq_noop() -> None:
        done()


if os.environ.get("GOCHAN_BENCH_PEER") == "celery":
    app: Any = importlib.import_module("celery").Celery("gochan_bench", broker=URL)
    app.conf.task_ignore_result = True
    app.conf.worker_hijack_root_logger = False

    @app.task(name="noop")  # type: ignore[untyped-decorator]  # an Any decorator
    def celery_noop() -> None:
        done()
