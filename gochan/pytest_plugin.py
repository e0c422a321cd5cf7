"""gochan's pytest plugin: tests as goroutine programs, leak checks, replayable seeds.

Registered through the ``pytest11`` entry point, so it is on once gochan is installed:

- ``@pytest.mark.gochan`` runs the test function as the main goroutine of a new program (``run``);
  ``@pytest.mark.gochan(virtual_time=True)`` runs it in a bubble on virtual time (Go's
  ``synctest.Test``). Fixtures are set up outside the program, the body runs inside it.
- Leak check (uber-go/goleak's ``VerifyNone``): when the body returns, the goroutines it started
  get to run until they exit or block; any still alive fail the test with ``LeakError`` ("found
  unexpected goroutines:") and their blocks in Go's dump format. ``@pytest.mark.gochan_leaks_ok``
  opts a test out (they are then discarded, as ``run`` does).
- Every gochan test runs with a seed (random unless given): a failing test's report shows it,
  and ``pytest --gochan-seed N`` (or ``@pytest.mark.gochan(seed=N)``) replays the run.
- The ``gochan_ctx`` fixture: a ``context.Context`` with a deadline ``timeout`` seconds away
  (``@pytest.mark.gochan(timeout=...)``, default 10; virtual seconds in a bubble), created inside
  the program and cancelled when the body returns.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import Any, Final, cast, final

import pytest

from .context import Context, background, with_timeout
from .testing import run_test

__all__ = ["DEFAULT_TIMEOUT", "SEED_KEY"]

DEFAULT_TIMEOUT: Final = 10.0
SEED_KEY: Final = pytest.StashKey[int]()
_SEED_LIMIT: Final = 1 << 32
_NOT_A_GOCHAN_TEST: Final = (
    "the gochan_ctx fixture belongs to a gochan program: mark the test @pytest.mark.gochan "
    "(or @pytest.mark.gochan(virtual_time=True))"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gochan")
    group.addoption(
        "--gochan-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of every @pytest.mark.gochan test's scheduler (a failing test's report shows the seed it ran with)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "gochan(virtual_time=False, seed=None, timeout=10.0): run the test as a gochan program's main "
        "goroutine (in a bubble on virtual time if virtual_time), checking for leaked goroutines",
    )
    config.addinivalue_line("markers", "gochan_leaks_ok: goroutines left running by this gochan test are not a failure")


@final
class _CtxRequest:
    """What the gochan_ctx fixture yields outside the program; replaced inside it by the context."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<gochan_ctx: created when the test's program starts>"


@pytest.fixture
def gochan_ctx() -> Context:
    """A context with a deadline (``timeout`` seconds away; see the module docstring)."""
    return cast(Context, _CtxRequest())  # a placeholder: the plugin swaps in the Context inside the program


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    marker = pyfuncitem.get_closest_marker("gochan")
    if marker is None:
        if any(isinstance(v, _CtxRequest) for v in pyfuncitem.funcargs.values()):
            raise pytest.UsageError(_NOT_A_GOCHAN_TEST)
        return None
    options = dict(marker.kwargs)
    virtual = bool(options.pop("virtual_time", False))
    seed = options.pop("seed", None)
    timeout = float(options.pop("timeout", DEFAULT_TIMEOUT))
    if options or marker.args:
        raise pytest.UsageError(
            f"{pyfuncitem.nodeid}: @pytest.mark.gochan takes only virtual_time=, seed= and timeout=, "
            f"not {', '.join([*map(repr, marker.args), *options])}"
        )
    given = pyfuncitem.config.getoption("gochan_seed")
    if given is not None:
        seed = given
    if seed is None:
        seed = random.randrange(_SEED_LIMIT)
    pyfuncitem.stash[SEED_KEY] = seed
    leaks = pyfuncitem.get_closest_marker("gochan_leaks_ok") is None
    names = pyfuncitem._fixtureinfo.argnames  # the test function's own arguments, as pytest passes them
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    run_test(_body, (pyfuncitem.obj, kwargs, timeout), seed=seed, virtual=virtual, leaks=leaks)
    return True


def _body(fn: Callable[..., object], kwargs: dict[str, Any], timeout: float) -> None:
    """The program's main goroutine: make the requested contexts, run the test, cancel them."""
    cancels: list[Callable[[], None]] = []
    for name, value in kwargs.items():
        if isinstance(value, _CtxRequest):
            ctx, cancel = with_timeout(background(), timeout)
            kwargs[name] = ctx
            cancels.append(cancel)
    try:
        fn(**kwargs)
    finally:
        for cancel in cancels:
            cancel()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    seed = item.stash.get(SEED_KEY, None)
    if seed is not None and report.failed:
        report.sections.append(("gochan", f"gochan seed {seed}: replay with pytest --gochan-seed {seed}"))
    return report
