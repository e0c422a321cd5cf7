"""The public API: ``gochan.__all__`` is exactly the everyday API, and every name in it exists."""

from __future__ import annotations

import gochan

EXPECTED = {
    "Ticker",
    "Timer",
    "after",
    "after_func",
    "new_ticker",
    "new_timer",
    "now",
    "since",
    "sleep",
    "tick",
    "until",
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
    "dump_goroutines",
    "go",
    "gosched",
    "num_goroutine",
    "recv",
    "run",
    "select",
    "send",
    "set_max_threads",
    "thread_bridge",
    "to_thread",
}


def test_all_is_exactly_the_expected_set() -> None:
    assert set(gochan.__all__) == EXPECTED
    assert len(gochan.__all__) == len(set(gochan.__all__)), "__all__ lists a name twice"


def test_every_name_in_all_exists() -> None:
    missing = [name for name in gochan.__all__ if not hasattr(gochan, name)]
    assert missing == []


def test_star_import_exports_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from gochan import *", namespace)
    assert set(namespace) - {"__builtins__"} == EXPECTED


def test_errors_form_the_documented_hierarchy() -> None:
    assert issubclass(gochan.GochanError, Exception)
    assert issubclass(gochan.ClosedChannelError, gochan.GochanError)
    assert issubclass(gochan.DeadlockError, gochan.GochanError)
    assert issubclass(gochan.SyncError, gochan.GochanError)
    assert issubclass(gochan.SyncError, RuntimeError)
    assert issubclass(gochan.CanceledError, gochan.GochanError)
    assert issubclass(gochan.DeadlineExceededError, gochan.GochanError)
    assert issubclass(gochan.DeadlineExceededError, TimeoutError)
    assert issubclass(gochan.IOTimeoutError, TimeoutError)


SUBMODULE_ALL = {
    "gochan.sync": {"Cond", "Locker", "Mutex", "Once", "RWMutex", "WaitGroup", "once_func", "once_value"},
    "gochan.semaphore": {"Semaphore"},
}


def test_sync_and_semaphore_export_exactly_their_names() -> None:
    import importlib

    for name, expected in SUBMODULE_ALL.items():
        mod = importlib.import_module(name)
        assert set(mod.__all__) == expected, name
        assert all(hasattr(mod, n) for n in mod.__all__), name
