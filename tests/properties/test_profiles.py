"""The hypothesis profiles: CI replays the same examples every run; explore really runs more."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import settings

from . import BASE_EXAMPLES, examples

ROOT = Path(__file__).resolve().parents[2]


def test_ci_profile_is_derandomized_without_a_database_and_prints_blobs() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize
    assert ci.database is None
    assert ci.deadline is None
    assert ci.print_blob


def test_ci_script_selects_the_ci_profile() -> None:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    strict = lines.index("set -euo pipefail")
    assert "export HYPOTHESIS_PROFILE=ci" in lines[strict + 1 : strict + 3]


def test_dev_profile_is_random() -> None:
    dev = settings.get_profile("dev")
    assert not dev.derandomize
    assert dev.max_examples == BASE_EXAMPLES


@pytest.mark.parametrize("name", ["dev", "ci", "explore"])
def test_per_test_example_counts_scale_with_the_profile(name: str) -> None:
    profile = settings.get_profile(name)
    assert examples(150, profile) == 150 * profile.max_examples // BASE_EXAMPLES
    assert examples(1, profile) >= 1
    if name == "explore":
        assert examples(150, profile) >= 10 * 150


def test_the_active_profile_is_the_one_asked_for(request: pytest.FixtureRequest) -> None:
    name = request.config.getoption("--hypothesis-profile") or os.environ.get("HYPOTHESIS_PROFILE", "dev")
    assert isinstance(name, str)
    assert settings().max_examples == settings.get_profile(name).max_examples
    assert examples(150) == examples(150, settings.get_profile(name))


def test_docs_say_how_to_explore() -> None:
    text = (ROOT / "docs" / "testing.md").read_text()
    assert "HYPOTHESIS_PROFILE=explore" in text
    assert re.search(r"--hypothesis-seed=\d", text)
