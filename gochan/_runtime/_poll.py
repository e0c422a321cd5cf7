"""The poller: Go's netpoller plus the scheduler's door for other OS threads.

Design: a ``selectors`` selector holds the file descriptors goroutines wait on (one reader and
one writer per fd, as Go's pollDesc) and the read end of a wake-up socket pair. An fd stays
registered after its waiter woke (it is usually waited on again at once); the first event that
finds no waiter shrinks the registration, and ``forget`` drops it before the fd is closed. Other threads,
and signal handlers, never touch scheduler state: they append a callback to ``pending`` (a
deque: appends are atomic under the GIL) and write one byte to the wake-up socket, which ends
the scheduler's idle wait. The scheduler drains ``pending`` on its own thread.

On the main thread the wake-up socket doubles as Python's signal wake-up fd (as asyncio's loop
does), installed when the poller is made and restored when it closes.

Invariants:
  readers[fd] / writers[fd] is the G parked waiting for that fd, and fd is registered for it
  (the registration may also cover directions nobody waits for; see poll)
  a callback in pending runs exactly once, on the scheduler's thread
"""

from __future__ import annotations

import selectors
import signal
import socket
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, final

if TYPE_CHECKING:
    from ._g import G

__all__ = ["Poller"]


@final
class Poller:
    """The selector, the wake-up socket pair and the cross-thread callback queue of one scheduler."""

    __slots__ = ("sel", "wake_r", "wake_w", "pending", "readers", "writers", "prev_wakeup_fd")

    def __init__(self) -> None:
        self.sel: Final = selectors.DefaultSelector()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, None)
        self.pending: Final[deque[Callable[[], None]]] = deque()
        self.readers: Final[dict[int, G]] = {}
        self.writers: Final[dict[int, G]] = {}
        # On the main thread the wake-up socket is also Python's signal wake-up fd: a signal that
        # the kernel hands to another thread still ends the idle wait at once, so its Python
        # handler (which only ever runs on the main thread) runs now, not at the next timer.
        self.prev_wakeup_fd: int | None = None
        if threading.current_thread() is threading.main_thread():
            self.prev_wakeup_fd = signal.set_wakeup_fd(self.wake_w.fileno(), warn_on_full_buffer=False)

    def nwaiting(self) -> int:
        """How many goroutines wait on file descriptors."""
        return len(self.readers) + len(self.writers)

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` to run on the scheduler's thread and wake it. Safe from any thread."""
        self.pending.append(fn)
        try:
            self.wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # the socket is full (a wake-up is already pending) or closed at shutdown

    def watch(self, fd: int, g: G, write: bool) -> None:
        """Register ``g`` as the goroutine waiting for ``fd`` to become readable (or writable)."""
        table = self.writers if write else self.readers
        if fd in table:
            kind = "write" if write else "read"
            raise RuntimeError(
                f"fd {fd}: another goroutine is already waiting to {kind} it; "
                "serialise access to a file descriptor (one reader and one writer at a time)"
            )
        table[fd] = g
        want = selectors.EVENT_WRITE if write else selectors.EVENT_READ
        try:
            if self.sel.get_key(fd).events & want:
                return  # still registered from an earlier wait
        except KeyError:
            pass
        self._update(fd)

    def unwatch(self, fd: int, write: bool) -> None:
        """Forget the waiter for ``fd`` in that direction (after it woke, or on undo).

        The fd stays registered with the selector: a socket is usually waited on again soon, and
        keeping it saves two system calls per wait. An event for an fd nobody waits for shrinks
        the registration then (see ``poll``).
        """
        (self.writers if write else self.readers).pop(fd, None)

    def forget(self, fd: int) -> None:
        """Drop ``fd`` from the selector before it is closed (Go's netpollclose)."""
        self.readers.pop(fd, None)
        self.writers.pop(fd, None)
        try:
            self.sel.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass

    def _update(self, fd: int) -> None:
        """Register ``fd`` for exactly the directions that have a waiter (none: unregister)."""
        events = (selectors.EVENT_READ if fd in self.readers else 0) | (
            selectors.EVENT_WRITE if fd in self.writers else 0
        )
        try:
            key = self.sel.get_key(fd)
        except KeyError:
            if events:
                self.sel.register(fd, events, None)
            return
        if events == key.events:
            return
        try:
            if events == 0:
                self.sel.unregister(fd)
            else:
                self.sel.modify(fd, events, None)
        except OSError:  # the fd was closed (and maybe reused) while registered: start afresh
            self.forget(fd)
            if events:
                self.sel.register(fd, events, None)

    def poll(self, timeout: float | None, ready: Callable[[G, object], None]) -> None:
        """Wait up to ``timeout`` seconds (None: forever) for fds or a wake-up; ready the waiters.

        Queued cross-thread callbacks run afterwards, on this thread.
        """
        for key, events in self.sel.select(timeout):
            if key.fileobj is self.wake_r:
                try:  # a short read drained it: no second recv ending in EAGAIN (a syscall and a raise)
                    while len(self.wake_r.recv(4096)) == 4096:
                        pass
                except (BlockingIOError, OSError):
                    pass  # a byte written since stays readable: the next poll returns at once
                continue
            fd = key.fd
            stale = False
            if events & selectors.EVENT_READ:
                if fd in self.readers:
                    ready(self.readers.pop(fd), events)
                else:
                    stale = True
            if events & selectors.EVENT_WRITE:
                if fd in self.writers:
                    ready(self.writers.pop(fd), events)
                else:
                    stale = True
            if stale:  # nobody waits for this direction any more: stop asking for it
                self._update(fd)
        self.run_pending()

    def run_pending(self) -> None:
        """Run the callbacks other threads queued (each exactly once)."""
        pending = self.pending
        while pending:
            pending.popleft()()

    def close(self) -> None:
        if self.prev_wakeup_fd is not None and threading.current_thread() is threading.main_thread():
            signal.set_wakeup_fd(self.prev_wakeup_fd)  # nested programs close in reverse order
        self.sel.close()
        self.wake_r.close()
        self.wake_w.close()
