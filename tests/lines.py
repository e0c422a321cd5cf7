"""A child process's output, line by line, with a timeout.

``select()`` on a buffered file object misses lines already read into Python's buffer: two lines
that arrive in one chunk leave the second in the buffer, and ``select`` then waits for more output
that may never come. A thread that reads every line into a queue has no such gap.
"""

from __future__ import annotations

import queue
import threading
from typing import IO


class Lines:
    """Lines of ``stream`` as they come (``next``), read by a daemon thread until end of file."""

    def __init__(self, stream: IO[str]) -> None:
        self._q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self._q.put(line.rstrip("\n"))
        finally:
            self._q.put(None)

    def next(self, timeout: float, what: str = "the process printed nothing in time") -> str | None:
        """The next line (without its newline), or None at end of file; AssertionError after ``timeout``."""
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(what) from None
