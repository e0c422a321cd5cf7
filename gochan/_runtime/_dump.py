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
from collections.abc import Sized
from types import CodeType, FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._g import G
    from ._sched import Scheduler

# This module imports nothing of the scheduler's at run time (the scheduler imports it): where
# main's stack ends, the code of ``run_in``, is passed in as ``bottom``.
__all__ = ["call_site", "describe_creation", "dump_all", "goroutine_block", "wait_graph"]

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


# -- what the parked goroutines wait on ----------------------------------------------------------
#
# Go's dumps stop at the goroutine blocks; a deadlock's report goes on (a second note on the
# DeadlockError, after the dump) with the objects those goroutines wait on, so
# a cycle reads off directly ("goroutine 5 holds mu_a and waits for mu_b; goroutine 6 holds mu_b
# and waits for mu_a"). Nothing is recorded on the hot paths for this: each parked goroutine's
# stack says what it waits on (the channel whose send or receive parked it, a select's cases, the
# sync primitive), and the object's name is the one the user's frame that called it knows it by.
# A Mutex says who holds it (sync records its holder).

_CHAN_FILE = os.path.join(_PKG_DIR, "_chan.py")
_SELECT_FILE = os.path.join(_PKG_DIR, "_select.py")
_SYNC_FILE = os.path.join(_PKG_DIR, "sync.py")


def _frame_of(s: Scheduler, g: G) -> FrameType | None:
    if g is s.current:
        return sys._getframe(1)  # the dump runs on g's own stack: its wait is further up
    return None if g.glet is None else g.glet.gr_frame


def _waits(s: Scheduler, g: G) -> list[tuple[object, str]]:
    """What parked ``g`` waits on: (object, role) for each, role "send", "receive" or "wait"
    (a sync primitive); a select yields one entry per non-nil case."""
    frame = _frame_of(s, g)
    while frame is not None:
        path = frame.f_code.co_filename
        if path == _CHAN_FILE and "self" in frame.f_locals:
            role = "send" if g.waitreason == "chan send" else "receive"
            return [(frame.f_locals["self"], role)]
        if path == _SELECT_FILE and frame.f_code.co_name == "_park_all":
            cases = frame.f_locals.get("cases", ())
            return [(c[0], "send" if c[1] else "receive") for c in cases if c[0] is not None]
        if path == _SYNC_FILE and "self" in frame.f_locals:
            return [(frame.f_locals["self"], "wait")]
        frame = frame.f_back
    return []


def _name_in(frames: list[FrameType], obj: object) -> str | None:
    """The name user code knows ``obj`` by: a local (a variable before a parameter, which only
    repeats a caller's name), a closure variable, or ``x.attr`` one level down; None if none."""
    for params in (False, True):
        for frame in frames:
            code = frame.f_code
            nparams = code.co_argcount + code.co_kwonlyargcount
            for name, v in frame.f_locals.items():
                if v is obj and (name in code.co_varnames[:nparams]) == params:
                    return name
    for frame in frames:
        for name, v in frame.f_locals.items():
            for attr in getattr(type(v), "__slots__", ()) or getattr(v, "__dict__", {}):
                if isinstance(attr, str) and getattr(v, attr, None) is obj:
                    return f"{name}.{attr}"
    return None


def _user_frames(s: Scheduler) -> list[FrameType]:
    """Every frame of user code on every goroutine's stack, innermost first per goroutine."""
    frames: list[FrameType] = []
    for g in sorted(s.allg.values(), key=lambda g: g.id):
        frame = _frame_of(s, g)
        while frame is not None:
            if not frame.f_code.co_filename.startswith(_PKG_DIR):
                frames.append(frame)
            frame = frame.f_back
    return frames


def wait_graph(s: Scheduler) -> str:
    """The objects parked goroutines wait on, each with its waiters (and a Mutex's holder).

    Empty when nothing waits on a channel or a sync primitive. Format::

        chan requests (unbuffered) [0x7f3a1c0]:
        \tsend:    goroutine 5, goroutine 7 (select)
        \treceive: goroutine 6
        sync.Mutex mu_a [0x7f3a2d0]:
        \theld by: goroutine 5
        \twaiting: goroutine 6
    """
    objs: dict[int, tuple[object, dict[str, list[str]]]] = {}
    for g in sorted(s.allg.values(), key=lambda g: g.id):
        if g.waitreason is None:
            continue
        waits = _waits(s, g)
        selecting = len(waits) > 1 or g.waitreason == "select"
        for obj, role in waits:
            roles = objs.setdefault(id(obj), (obj, {}))[1]
            roles.setdefault(role, []).append(f"goroutine {g.id}" + (" (select)" if selecting else ""))
    if not objs:
        return ""
    frames = _user_frames(s)
    lines: list[str] = []
    for obj, roles in objs.values():
        lines.append(_describe(obj, _name_in(frames, obj)) + ":")
        holder = getattr(obj, "_holder", None)
        if holder is not None:
            lines.append(f"\theld by: goroutine {holder.id}")
        for role in ("send", "receive", "wait"):
            if role in roles:
                label = "waiting" if role == "wait" else role
                lines.append(f"\t{label + ':':<9}{', '.join(roles[role])}")
    return "\n".join(lines) + "\n" if lines else ""


def _describe(obj: object, name: str | None) -> str:
    kind = type(obj)
    label = f" {name}" if name else ""
    if kind.__name__ == "Chan" and kind.__module__.startswith("gochan"):
        cap = getattr(obj, "cap", 0)
        size = "unbuffered" if cap == 0 else f"cap {cap}, len {len(obj) if isinstance(obj, Sized) else '?'}"
        return f"chan{label} ({size}) [{id(obj):#x}]"
    return f"sync.{kind.__name__}{label} [{id(obj):#x}]"


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
