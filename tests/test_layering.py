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
    "semaphore": 6,
    "testing": 6,
    "trace": 6,
    "watchdog": 6,
    "pytest_plugin": 7,
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


def test_sync_uses_only_the_runtimes_door() -> None:
    # Go's sync is built on the runtime's semaphores, not on channels: so is ours.
    assert imports_of(PKG / "sync.py") == {"_runtime", "errors"}


def test_every_module_has_a_layer() -> None:
    tops = {p.relative_to(PKG).parts[0].removesuffix(".py") for p in module_files()}
    assert tops - set(LAYER) == {"_tools"}  # code generators, never imported by gochan


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


# -- the runtime's door -------------------------------------------------------------------------------

ROOT = PKG.parent
RUNTIME = PKG / "_runtime"

# Scheduler attributes only the runtime may touch (everything else reaches them through the door's
# operations: hold/release, add_timer, sync_wait, num_goroutine, ...). Listed by name, since an AST
# cannot tell a Scheduler from another object; the generic names below are left out of the check
# because other objects have attributes so named (Chan.close, a server's main, ...).
SCHEDULER_INTERNALS = frozenset(
    {
        "runq", "runnext", "handoffs", "allg", "gfree", "starter", "nextid", "vnow", "vclock",
        "timers", "poller", "get_poller", "ticks", "outstanding", "listening", "syncwaiter", "inrun",
        "used_threads", "atclose", "chooser",
    }
)  # fmt: skip
GENERIC_NAMES = frozenset({"close", "main", "free", "panic", "tid", "rng"})


def scheduler_attributes() -> set[str]:
    from gochan._runtime import Scheduler

    names = set(Scheduler.__slots__) | {n for n in vars(Scheduler) if not n.startswith("__")}
    return {n for n in names if not n.startswith("_")}


def test_every_scheduler_attribute_is_either_in_the_door_or_internal() -> None:
    from gochan._runtime import SCHEDULER_DOOR

    unclassified = scheduler_attributes() - SCHEDULER_DOOR - SCHEDULER_INTERNALS - GENERIC_NAMES
    assert unclassified == set(), "add each new Scheduler attribute to SCHEDULER_DOOR or SCHEDULER_INTERNALS"
    assert scheduler_attributes() >= SCHEDULER_DOOR, "SCHEDULER_DOOR names an attribute Scheduler lacks"


def outside_files() -> list[Path]:
    """Every Python file of the project outside the runtime package."""
    dirs = [PKG, ROOT / "tests", ROOT / "benchmarks", ROOT / "examples"]
    return [p for d in dirs if d.exists() for p in d.rglob("*.py") if RUNTIME not in p.parents]


def private_runtime_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names = [node.module]
            elif node.level > 0:  # relative, inside gochan/: resolve against the file's package
                pkg = list(path.relative_to(PKG.parent).with_suffix("").parts[: -node.level])
                names = [".".join([*pkg, *([node.module] if node.module else [])])]
            names += [f"{names[0]}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found += [n for n in names if n.startswith("gochan._runtime._")]
    return found


def test_nothing_outside_the_runtime_imports_its_private_modules() -> None:
    bad = {str(p.relative_to(ROOT)): private_runtime_imports(p) for p in outside_files()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_nothing_outside_the_runtime_uses_scheduler_internals() -> None:
    bad = {}
    for path in PKG.rglob("*.py"):
        if RUNTIME in path.parents:
            continue
        used = {
            n.attr for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Attribute)
        } & SCHEDULER_INTERNALS
        if used:
            bad[str(path.relative_to(PKG))] = sorted(used)
    assert bad == {}
