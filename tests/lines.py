"""A child process's output, line by line, with a timeout.

``select()`` on a buffered file object misses lines already read into Python's buffer: two lines
that arrive in one chunk leave the second in the buffer, and ``select`` then waits for more output
that may never come. A thread that reads every line into a queue has no such gap.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
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


class WorkerProcess:
    """``python -m MODULE ARGS...``, a worker that prints "ready ID" first, then one line per event."""

    def __init__(self, root: Path, module: str, *args: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=root, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.out = Lines(self.proc.stdout)
        line = self.line()
        assert line.startswith("ready "), line
        self.id = line.split()[1]

    def line(self) -> str:
        got = self.out.next(self.timeout, "the worker printed nothing in time")
        assert got is not None, f"the worker ended (exit {self.proc.wait(self.timeout)})"
        return got.strip()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        rc = self.proc.wait(self.timeout)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return rc
