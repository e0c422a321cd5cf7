"""The public API: ``gochan.__all__`` is exactly the everyday API, and every name in it exists."""

from __future__ import annotations

import gochan

EXPECTED = {
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
