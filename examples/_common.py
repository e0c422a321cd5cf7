"""What every example shares: the output callback's type and the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from functools import partial

Out = Callable[[str], None]
"""Where a program prints: ``print`` from the command line, a list's ``append`` in the tests."""

say: Out = partial(print, flush=True)  # flushed: a test reading the pipe sees each line at once


def args(doc: str | None, argv: Sequence[str] | None = None, *, unit: bool = True) -> argparse.Namespace:
    """Parse an example's command line: ``--unit SECONDS`` scales every sleep (Go's ``time.Second``)."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n", 1)[0])
    if unit:
        p.add_argument(
            "--unit", type=float, default=1.0, help="the length of one Go second, in seconds (default 1.0)"
        )
    return p.parse_args(argv)
