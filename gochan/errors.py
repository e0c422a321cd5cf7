"""Every exception gochan raises, and how they relate.

Go reports misuse of channels as panics and a stuck program as a fatal error; gochan raises
exceptions with Go's exact texts so that searching for a message finds Go's documentation too.

::

    Exception
     └── GochanError                 base of everything below
          ├── ClosedChannelError     "send on closed channel", "close of closed channel"
          └── DeadlockError          "all goroutines are asleep - deadlock!" (carries .dump)

An exception that escapes a goroutine is *not* wrapped: it keeps its own type and gains a
note (PEP 678) naming the goroutine and where it was started.
"""

from __future__ import annotations

from typing import final

__all__ = [
    "ClosedChannelError",
    "DeadlockError",
    "GochanError",
]


class GochanError(Exception):
    """Base class of the exceptions gochan raises for misuse and fatal conditions."""


@final
class ClosedChannelError(GochanError):
    """A send on, or a close of, a closed channel (Go panics with the same texts)."""


@final
class DeadlockError(GochanError):
    """Every goroutine is asleep: nothing can ever run again.

    Go: ``fatal error: all goroutines are asleep - deadlock!``. :attr:`dump` holds the
    goroutine dump in Go's format (one block per goroutine, its wait reason and stack); it is
    also attached as a note, so a traceback shows it.
    """

    def __init__(self, message: str, dump: str) -> None:
        super().__init__(message)
        self.dump = dump
        self.add_note(dump)
