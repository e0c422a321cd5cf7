"""Every exception gochan raises, and how they relate.

Go reports misuse of channels as panics and a stuck program as a fatal error; gochan raises
exceptions with Go's exact texts so that searching for a message finds Go's documentation too.

::

    Exception
     └── GochanError                 base of everything below
          ├── ClosedChannelError     "send on closed channel", "close of closed channel"
          ├── DeadlockError          "all goroutines are asleep - deadlock!" (carries .dump)
          ├── SyncError              misuse of sync: "sync: negative WaitGroup counter", ...
          │                          (also a RuntimeError)
          ├── CanceledError          "context canceled"
          ├── DeadlineExceededError  "context deadline exceeded" (also a TimeoutError)
          ├── IOTimeoutError         "i/o timeout": a net deadline passed (also a TimeoutError)
          └── LeakError              "found unexpected goroutines:" (gochan.testing's leak check)

    BaseException
     └── ProgramExit                 the program is ending: unwinds main after another goroutine
                                     crashed (not an Exception, so ``except Exception`` lets it pass)

An exception that escapes a goroutine is *not* wrapped: it keeps its own type and gains a
note (PEP 678) naming the goroutine and where it was started. Go cannot recover another
goroutine's panic, so neither can gochan: the crash unwinds every goroutine (main included, with
:class:`ProgramExit`), and ``run`` raises the original exception.
"""

from __future__ import annotations

from typing import Final, final

__all__ = [
    "ALL_ASLEEP",
    "CLOSE_CLOSED",
    "SEND_CLOSED",
    "SIZE_OUT_OF_RANGE",
    "CanceledError",
    "ClosedChannelError",
    "DeadlineExceededError",
    "DeadlockError",
    "GochanError",
    "IOTimeoutError",
    "LeakError",
    "ProgramExit",
    "SyncError",
]


# Go's texts, spelt once: a test that pins one imports it from here.
ALL_ASLEEP: Final = "all goroutines are asleep - deadlock!"  # Go's fatal error text for a deadlock
SEND_CLOSED: Final = "send on closed channel"  # ClosedChannelError: a send on a closed channel
CLOSE_CLOSED: Final = "close of closed channel"  # ClosedChannelError: close of a closed channel
SIZE_OUT_OF_RANGE: Final = "makechan: size out of range"  # ValueError: a capacity above Go's limit


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


@final
class SyncError(GochanError, RuntimeError):
    """Misuse of a sync primitive, with Go's panic text ("sync: unlock of unlocked mutex", ...)."""


class CanceledError(GochanError):
    """Go's ``context.Canceled``: "context canceled". A context returns the same instance each time."""


class DeadlineExceededError(GochanError, TimeoutError):
    """Go's ``context.DeadlineExceeded``: "context deadline exceeded". Also a ``TimeoutError``."""


@final
class IOTimeoutError(GochanError, TimeoutError):
    """A network operation passed its deadline: Go's ``os.ErrDeadlineExceeded`` ("i/o timeout")."""


@final
class LeakError(GochanError):
    """Goroutines of a test's program were still alive when the test returned (uber-go/goleak).

    The message is goleak's ("found unexpected goroutines:"), followed by the leaked goroutines'
    blocks in Go's dump format and what they wait on.
    """


@final
class ProgramExit(BaseException):
    """The program is ending because another goroutine crashed (or was interrupted).

    Thrown into the main goroutine at its blocking call so that its ``finally`` blocks and
    ``with`` exits run; it is a ``BaseException`` so that ``except Exception`` cannot swallow
    another goroutine's crash (Go cannot recover a panic of another goroutine). ``run`` then
    raises the original exception, not this one.
    """
