"""gochan: Go's concurrency model — goroutines, channels and select — in pure Python.

The everyday API::

    from gochan import Chan, go, run, select, recv, send

    def main() -> None:
        ch: Chan[int] = Chan()
        go(lambda: ch.send(42))
        print(ch.recv())

    run(main)
"""

from __future__ import annotations

from ._chan import Chan, RecvChan, SendChan
from ._runtime import (
    ThreadBridge,
    dump_goroutines,
    go,
    gosched,
    num_goroutine,
    run,
    set_max_threads,
    thread_bridge,
    to_thread,
)
from ._select import Case, recv, select, send
from ._time import Ticker, Timer, after, after_func, new_ticker, new_timer, now, since, sleep, tick, until
from .errors import (
    CanceledError,
    ClosedChannelError,
    DeadlineExceededError,
    DeadlockError,
    GochanError,
    IOTimeoutError,
    SyncError,
)

__all__ = [
    "CanceledError",
    "Case",
    "Chan",
    "ClosedChannelError",
    "DeadlineExceededError",
    "DeadlockError",
    "GochanError",
    "IOTimeoutError",
    "RecvChan",
    "SendChan",
    "SyncError",
    "ThreadBridge",
    "Ticker",
    "Timer",
    "after",
    "after_func",
    "dump_goroutines",
    "go",
    "gosched",
    "new_ticker",
    "new_timer",
    "now",
    "num_goroutine",
    "recv",
    "run",
    "select",
    "send",
    "set_max_threads",
    "since",
    "sleep",
    "thread_bridge",
    "tick",
    "to_thread",
    "until",
]

__version__ = "0.1.0"
