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
from ._runtime import dump_goroutines, go, gosched, num_goroutine, run
from ._select import Case, recv, select, send
from .errors import ClosedChannelError, DeadlockError, GochanError

__all__ = [
    "Case",
    "Chan",
    "ClosedChannelError",
    "DeadlockError",
    "GochanError",
    "RecvChan",
    "SendChan",
    "dump_goroutines",
    "go",
    "gosched",
    "num_goroutine",
    "recv",
    "run",
    "select",
    "send",
]

__version__ = "0.1.0"
