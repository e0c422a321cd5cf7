"""The layers of DESIGN §1 hold: imports point down, and only the runtime touches greenlet."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "gochan"

# Each module may import only modules of its own layer or below (lower number = lower layer).
LAYER = {
    "errors": 0,
    "_runtime": 1,
    "_chan": 2,
    "_select": 3,
    "_time": 4,
    "sync": 4,
    "net": 5,
    "context": 5,
    "signal": 6,
    "errgroup": 6,
    "testing": 6,
    "watchdog": 6,
    "patterns": 7,
    "jobs": 8,
}


def imports_of(path: Path) -> set[str]:
    """The gochan modules (first component below the package) that ``path`` imports."""
    rel = path.relative_to(PKG).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("gochan."):
                found.add(node.module.split(".")[1])
            elif node.level > 0:
                base = list(rel[: len(rel) - node.level])
                parts = [*base, *(node.module.split(".") if node.module else [])]
                if parts:
                    found.add(parts[0])
                else:  # "from . import x" at the package root
                    found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("gochan."))
    return found


def module_files() -> list[Path]:
    return [p for p in PKG.rglob("*.py") if p.name != "__init__.py" or p.parent != PKG]


def test_imports_point_down() -> None:
    violations = []
    for path in module_files():
        top = path.relative_to(PKG).parts[0].removesuffix(".py")
        if top not in LAYER:
            continue
        for dep in imports_of(path) - {top}:
            if dep in LAYER and LAYER[dep] > LAYER[top]:
                violations.append(f"{path.relative_to(PKG)} imports {dep}")
    assert violations == []


def test_chan_never_imports_select() -> None:
    assert "_select" not in imports_of(PKG / "_chan.py")


def test_only_the_runtime_imports_greenlet() -> None:
    users = {
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if any(
            (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("greenlet"))
            or (isinstance(n, ast.Import) and any(a.name.startswith("greenlet") for a in n.names))
            for n in ast.walk(ast.parse(p.read_text()))
        )
    }
    outside = {u for u in users if not u.startswith("_runtime")}
    assert "_runtime/_sched.py" in users
    assert outside == set()
