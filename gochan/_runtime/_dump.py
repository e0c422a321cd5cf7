"""Goroutine dumps in Go's traceback format (what Go prints on deadlock or SIGQUIT).

One block per goroutine, the running one first, then by id::

    goroutine 7 [chan send, 3 minutes]:
    app.worker(...)
    \t/srv/app.py:12
    created by app.main in goroutine 1
    \t/srv/app.py:30

Frames of gochan's private modules (the runtime, channels, select) are hidden, as Go hides
``runtime.*`` frames; public layers such as ``gochan.sync`` stay visible, as ``sync.(*Mutex).Lock``
does in Go. The wait time is shown only from one minute on, as Go does.
"""

from __future__ import annotations

import os
import sys
from types import CodeType, FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._g import G
    from ._sched import Scheduler

# This module imports nothing of the scheduler's at run time (the scheduler imports it): where
# main's stack ends, the code of ``run_in``, is passed in as ``bottom``.
__all__ = ["call_site", "describe_creation", "dump_all", "goroutine_block"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MAX_FRAMES = 100  # Go elides frames past 100


def _hidden(code: CodeType) -> bool:
    """Is ``code`` part of gochan's private machinery (hidden like Go's runtime frames)?"""
    path = code.co_filename
    if not path.startswith(_PKG_DIR):
        return False
    rel = path[len(_PKG_DIR) + 1 :]
    return any(part.startswith("_") and part != "__init__.py" for part in rel.split(os.sep))


def _module_of(code: CodeType) -> str:
    """Best-effort module name for a code object (dumps only; not a hot path)."""
    for name, mod in list(sys.modules.items()):
        if getattr(mod, "__file__", None) == code.co_filename:
            return name
    return os.path.splitext(os.path.basename(code.co_filename))[0]


def _frame_lines(frame: FrameType | None, stop: CodeType | None) -> list[str]:
    """Innermost-first stack lines of ``frame``, stopping below the frame running ``stop``."""
    lines: list[str] = []
    shown = 0
    while frame is not None:
        code = frame.f_code
        if code is stop:
            break
        if not _hidden(code):
            if shown == _MAX_FRAMES:
                lines.append("...additional frames elided...")
                break
            module = frame.f_globals.get("__name__", "?")
            lines.append(f"{module}.{code.co_qualname}(...)")
            lines.append(f"\t{code.co_filename}:{frame.f_lineno}")
            shown += 1
        frame = frame.f_back
    return lines


def _header(s: Scheduler, g: G) -> str:
    if g.waitreason is None:
        state = "running" if g is s.current else "runnable"
    else:
        state = g.waitreason
        minutes = int((s.now - g.waitsince) // 60)
        if minutes >= 1:
            state += f", {minutes} minutes"
    return f"goroutine {g.id} [{state}]:"


def _stack(s: Scheduler, g: G, frame: FrameType | None, bottom: CodeType | None) -> list[str]:
    if frame is None and g is s.current:
        frame = sys._getframe(2)
    elif frame is None and g.glet is not None:
        frame = g.glet.gr_frame
    elif frame is None:  # not started yet: show where its function begins, as Go does for a runnable G
        fn = g.fn
        code = getattr(fn, "__code__", None)
        if code is None:
            return [f"{getattr(fn, '__qualname__', repr(fn))}(...)"]
        return [f"{_module_of(code)}.{code.co_qualname}(...)", f"\t{code.co_filename}:{code.co_firstlineno}"]
    return _frame_lines(frame, bottom if g is s.main else None)


def goroutine_block(
    s: Scheduler, g: G, bottom: CodeType | None, frame: FrameType | None = None, state: str | None = None
) -> str:
    """One goroutine's block of a dump: header, stack, ``created by``.

    ``bottom``: main's stack is shown down to the frame running this code (``run_in``'s), not
    below. ``frame`` overrides where the stack starts (the watchdog passes the running thread's
    frame); ``state`` overrides the bracketed state (default: running, runnable or its wait reason).
    """
    header = _header(s, g) if state is None else f"goroutine {g.id} [{state}]:"
    lines = [header, *_stack(s, g, frame, bottom)]
    if g.cr_code is not None:
        lines.append(f"created by {_module_of(g.cr_code)}.{g.cr_code.co_qualname} in goroutine {g.cr_goid}")
        lines.append(f"\t{g.cr_code.co_filename}:{g.cr_line}")
    return "\n".join(lines)


def dump_all(s: Scheduler, bottom: CodeType | None) -> str:
    """The dump of every goroutine of ``s``, blocks separated by blank lines (``bottom``: see goroutine_block)."""
    # The running goroutine first, as Go's dumps do; a deadlock dump has none running: by id.
    order = sorted(s.allg.values(), key=lambda g: (g is not s.current or g.waitreason is not None, g.id))
    return "\n\n".join(goroutine_block(s, g, bottom) for g in order) + "\n"


def call_site(depth: int = 1, skip_module: str | None = None) -> tuple[CodeType, int]:
    """Where a goroutine is created: code and line of the frame ``depth`` levels above the caller.

    The one way creation sites are found (``Scheduler.spawn`` keeps an inline copy for ``go``'s
    hot path). ``skip_module``: go on past the frames of that module (``__name__``), for a module
    whose public functions reach the spawn through different depths (context).
    """
    f = sys._getframe(depth + 1)
    while skip_module is not None and f.f_back is not None and f.f_globals.get("__name__") == skip_module:
        f = f.f_back
    return f.f_code, f.f_lineno


def describe_creation(g: G) -> str:
    """``created by fn in goroutine N at file:line`` for notes and dumps."""
    if g.cr_code is None:
        return "the main goroutine"
    return (
        f"created by {g.cr_code.co_qualname} in goroutine {g.cr_goid} "
        f"at {g.cr_code.co_filename}:{g.cr_line}"
    )
