"""Limiter: a burst at once, then one token per period, on virtual time; usable in select; leaks nothing."""

from __future__ import annotations

import pytest

from gochan import after, now, num_goroutine, recv, select, sleep
from gochan import testing as synctest
from gochan.context import background, with_cancel, with_timeout
from gochan.patterns import Limiter


@synctest.synctest
def test_a_burst_passes_at_once_then_the_steady_rate() -> None:
    start = now()
    times = []
    with Limiter(10.0, burst=3) as lim:
        for _ in range(6):
            lim.wait()
            times.append(round(now() - start, 6))
    assert times == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]


@synctest.synctest
def test_an_idle_limiter_saves_at_most_burst_tokens() -> None:
    with Limiter(10.0, burst=2) as lim:
        lim.wait()
        lim.wait()
        sleep(5.0)  # 50 ticks, but the bucket holds 2
        assert [lim.allow() for _ in range(3)] == [True, True, False]


@synctest.synctest
def test_the_token_channel_works_in_select() -> None:
    with Limiter(1.0) as lim:
        assert lim.allow()
        match select(recv(lim.c), recv(after(0.5))):
            case (0, _, _):
                pytest.fail("a token before its period")
        match select(recv(lim.c), recv(after(5.0))):
            case (1, _, _):
                pytest.fail("no token after its period")


@synctest.synctest
def test_wait_with_a_context_gives_up() -> None:
    with Limiter(0.1) as lim:
        lim.wait()
        with with_timeout(background(), 1.0) as (ctx, _), pytest.raises(TimeoutError):
            lim.wait(ctx)


@synctest.synctest
def test_the_refill_goroutine_ends_with_its_context() -> None:
    before = num_goroutine()
    ctx, cancel = with_cancel(background())
    Limiter(100.0, ctx=ctx)
    assert num_goroutine() == before + 1
    cancel()
    synctest.wait()
    assert num_goroutine() == before


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1.0, 1), (float("inf"), 1), (1.0, 0)])
def test_bad_arguments_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="Limiter: "):
        synctest.run(Limiter, rate, burst)
