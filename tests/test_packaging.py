"""Packaging: the licence, the extras, the sdist's contents and the editable install's shape.

The sdist and the editable wheel are built with setuptools' PEP 517 hooks in a child process (the
test extra brings setuptools>=77, the first with PEP 639 licence metadata): about a second each.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT: dict[str, Any] = PYPROJECT["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]

# The third-party modules the suite may import, and the distribution that provides each.
TEST_IMPORTS = {"pytest": "pytest", "hypothesis": "hypothesis", "greenlet": "greenlet", "redis": "redis"}
# What the benchmark suite compares gochan with: the bench extra, never needed by the tests.
PEERS = {"matplotlib", "gevent", "trio", "anyio", "aiochan", "goless", "rq", "arq", "dramatiq", "celery", "huey"}
OWN = {"gochan", "tests", "benchmarks", "examples"}


def requirement_name(req: str) -> str:
    for sep in "[<>=!~; ":
        req = req.split(sep, 1)[0]
    return req.lower()


def build(hook: str, out: Path) -> Path:
    """Run setuptools' PEP 517 ``hook`` on the checkout in a child process; the built file."""
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{hook} failed (the test extra brings setuptools>=77):\n{proc.stderr[-3000:]}"
    return out / proc.stdout.splitlines()[-1]


def top_level_imports(path: Path, *, module_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__"}


def source_files(*dirs: str) -> set[str]:
    """The files under ``dirs`` a checkout holds, without caches or benchmark results."""
    out = set()
    for d in dirs:
        for p in (ROOT / d).rglob("*"):
            rel = p.relative_to(ROOT)
            if p.is_file() and "__pycache__" not in rel.parts and rel.parts[:2] != ("benchmarks", "results"):
                out.add(rel.as_posix())
    return out


def test_licence_is_bsd_3_clause_as_go() -> None:
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License\n\nCopyright (c) 2026 The gochan Authors\n")
    assert "Neither the name of the copyright holder nor the names of its" in text


def test_classifiers_name_every_supported_python() -> None:
    assert PROJECT["requires-python"] == ">=3.11"
    for minor in (11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in PROJECT["classifiers"]


def test_test_extra_covers_every_import_of_the_suite_and_no_peer() -> None:
    imported = set().union(*(top_level_imports(p, module_level_only=False) for p in (ROOT / "tests").rglob("*.py")))
    assert imported - OWN <= set(TEST_IMPORTS), "a test imports a module no extra provides"
    provided = {requirement_name(r) for r in EXTRAS["test"] + PROJECT["dependencies"]}
    assert {TEST_IMPORTS[m] for m in imported - OWN} <= provided
    assert {"pytest", "hypothesis", "mypy", "ruff", "types-greenlet"} <= provided
    assert not provided & PEERS


def test_bench_extra_is_the_peers_and_dev_is_test_plus_bench() -> None:
    assert {requirement_name(r) for r in EXTRAS["bench"]} == PEERS
    assert EXTRAS["dev"] == ["pygochan[test,bench]"]


def test_benchmark_code_imports_peers_only_where_it_runs_them() -> None:
    # The suite (and python -m benchmarks --only gochan,greenlet) must run without the bench extra:
    # a peer is imported inside the function that uses it, never at a module's top.
    for path in (ROOT / "benchmarks").rglob("*.py"):
        assert top_level_imports(path, module_level_only=True) <= OWN | {"greenlet"}, path


def test_sdist_holds_everything_its_tests_read(tmp_path: Path) -> None:
    sdist = build("build_sdist", tmp_path)
    assert sdist.name == f"pygochan-{PROJECT['version']}.tar.gz"
    with tarfile.open(sdist) as tar:
        prefix = f"pygochan-{PROJECT['version']}/"
        names = {m.name.removeprefix(prefix) for m in tar.getmembers() if m.isfile()}
        pkg_info = tar.extractfile(prefix + "PKG-INFO")
        assert pkg_info is not None
        metadata = pkg_info.read().decode()
    wanted = {"LICENSE", "README.md", "pyproject.toml", "MANIFEST.in", ".ci/run", "tests/conftest.py"}
    assert wanted <= names
    missing = source_files("gochan", "tests", "docs", "benchmarks", "examples") - names
    assert not missing, f"not in the sdist: {sorted(missing)}"
    assert not [n for n in names if "__pycache__" in n or n.startswith("benchmarks/results/")]
    assert "License-Expression: BSD-3-Clause\n" in metadata
    assert "License-File: LICENSE\n" in metadata


def test_editable_install_is_a_path_entry_static_tools_can_follow(tmp_path: Path) -> None:
    # setuptools' import-hook editable mode hides the package from mypy and other static tools
    # outside the checkout; a .pth line naming the checkout does not.
    wheel = build("build_editable", tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        pth = [n for n in zf.namelist() if n.endswith(".pth")]
        assert len(pth) == 1, zf.namelist()
        assert zf.read(pth[0]).decode().split() == [str(ROOT)]
        assert not [n for n in zf.namelist() if n.endswith("_finder.py")]
