"""Property tests: hypothesis against models, and statistical checks, all under tests/conftest.py's profiles."""

from __future__ import annotations

from hypothesis import settings

BASE_EXAMPLES = 100  # hypothesis's default max_examples, the dev and ci profiles' count


def examples(n: int, profile: settings | None = None) -> int:
    """``n`` examples at the base count of 100, scaled like ``profile``'s count (default: the active one).

    Call it at import time (in a ``@settings``): the profile is loaded by tests/conftest.py first.
    """
    base = (profile or settings()).max_examples  # settings(): the active profile's values
    return max(1, n * base // BASE_EXAMPLES)
