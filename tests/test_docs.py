"""The README's and docs/' Python code blocks run, and the README's commands are the ones CI runs.

Each Markdown file's ```python blocks are joined in order and run as one script in a fresh interpreter (later blocks
may use names from earlier ones, as a reader would). Blocks meant to be read, not run, use ```text or ```go.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


@pytest.mark.parametrize("path", [p for p in DOCS if python_blocks(p)], ids=lambda p: p.name)
def test_doc_code_blocks_run(path: Path) -> None:
    script = "\n\n".join(python_blocks(path))
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"{path.name} failed:\n{proc.stderr[-3000:]}"


def test_readme_example_prints_the_sum() -> None:
    (first, *_) = python_blocks(ROOT / "README.md")
    proc = subprocess.run([sys.executable, "-c", first], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout == "10\n"


def test_readme_opens_with_the_install_and_run_commands() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0] == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m benchmarks"
    )
    assert block[1] == "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert text.index("```bash") < text.index("```python")


def test_readme_tells_users_to_install_the_distribution() -> None:
    text = (ROOT / "README.md").read_text()
    assert "```sh\npip install pygochan\n```" in text
    assert "import package is `gochan`" in text

