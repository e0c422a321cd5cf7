"""Generated source is up to date with its generator (trio checks its gen_exports output the same way)."""

from __future__ import annotations

from gochan._tools import gen_select


def test_select_overloads_are_up_to_date() -> None:
    text = gen_select.TARGET.read_text()
    assert gen_select.updated(text) == text, "run python -m gochan._tools.gen_select"


def test_the_generator_covers_each_case_count_with_and_without_default() -> None:
    block = gen_select.generate()
    assert block.count("@overload") == 2 * (gen_select.MAX_CASES + 1) + 1
