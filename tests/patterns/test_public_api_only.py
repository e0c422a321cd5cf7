"""gochan.patterns uses only the public API of the layers below it (DESIGN §6), and its __all__ is what it exports."""

from __future__ import annotations

import ast
from pathlib import Path

import gochan
import gochan.patterns

PATTERNS = Path(gochan.patterns.__file__).resolve().parent
ALLOWED = {"gochan", "gochan.sync", "gochan.context", "gochan.errgroup", "gochan.signal", "gochan.errors"}


def test_patterns_import_only_public_modules_and_names() -> None:
    bad: list[str] = []
    for path in sorted(PATTERNS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("gochan"):
                if node.module not in ALLOWED:
                    bad.append(f"{path.name}: from {node.module} import ...")
                elif node.module == "gochan":
                    bad += [f"{path.name}: gochan.{a.name}" for a in node.names if a.name not in gochan.__all__]
                else:
                    bad += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Import):
                bad += [f"{path.name}: import {a.name}" for a in node.names if a.name.startswith("gochan")]
    assert bad == []


def test_all_reexports_every_submodule_export_with_a_docstring() -> None:
    import importlib

    names: set[str] = set()
    for path in PATTERNS.glob("[!_]*.py"):
        mod = importlib.import_module(f"gochan.patterns.{path.stem}")
        names |= {n for n in mod.__all__ if n[0].isupper() or callable(getattr(mod, n))}
    internal = {"ERR_INTERRUPT", "ERR_TIMEOUT", "POOL_CLOSED", "UnobservedErrorHook"}  # reached through their module
    assert set(gochan.patterns.__all__) == names - internal
    for name in gochan.patterns.__all__:
        assert getattr(gochan.patterns, name).__doc__, f"{name} has no docstring"
