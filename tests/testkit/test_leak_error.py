"""LeakError lives with every other exception in gochan.errors, and gochan.testing still exports it."""

from __future__ import annotations

import gochan.errors
import gochan.testing


def test_leak_error_is_a_gochan_error_of_the_errors_module() -> None:
    assert gochan.testing.LeakError is gochan.errors.LeakError
    assert issubclass(gochan.errors.LeakError, gochan.errors.GochanError)
    assert "LeakError" in gochan.errors.__all__ and "LeakError" in gochan.testing.__all__
    assert gochan.errors.__doc__ is not None and "└── LeakError" in gochan.errors.__doc__
