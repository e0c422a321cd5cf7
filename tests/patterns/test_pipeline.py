"""Pipeline stages: what each delivers, and that cancelling the context ends every stage (goroutines counted).

Time-based stages (batch's max_wait) run on virtual time in a bubble; a bubble also fails a test
whose goroutines outlive it, so every test here is a leak test as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gochan import Chan, RecvChan, go, num_goroutine, sleep
from gochan import testing as synctest
from gochan.context import Context, background, with_cancel
from gochan.patterns import batch, bridge, fan_out, generator, merge, or_done, parallel_map, take, tee
from tests.properties import examples


def drain(ch: RecvChan[int]) -> list[int]:
    return list(ch)


def square(x: int) -> int:
    return x * x


# -- each stage ----------------------------------------------------------------------------------


@synctest.synctest
def test_generator_sends_each_value_then_closes() -> None:
    assert list(generator(background(), range(5))) == [0, 1, 2, 3, 4]


@synctest.synctest
def test_merge_delivers_every_value_and_closes_after_the_last_source() -> None:
    ctx = background()
    out = merge(ctx, generator(ctx, [1, 2]), generator(ctx, [3]), generator(ctx, []))
    assert sorted(out) == [1, 2, 3]


@synctest.synctest
def test_fan_out_then_merge_handles_each_value_once() -> None:
    ctx = background()
    outs = fan_out(ctx, generator(ctx, range(20)), square, 4)
    assert len(outs) == 4
    assert sorted(merge(ctx, *outs)) == sorted(x * x for x in range(20))


@synctest.synctest
def test_parallel_map_keeps_input_order_even_when_later_items_finish_first() -> None:
    def slow_first(x: int) -> int:
        sleep(float(10 - x))  # item 0 takes longest
        return -x

    ctx = background()
    assert list(parallel_map(ctx, slow_first, generator(ctx, range(10)), 4)) == [-x for x in range(10)]


@synctest.synctest
def test_parallel_map_unordered_delivers_the_same_multiset() -> None:
    ctx = background()
    got = list(parallel_map(ctx, square, generator(ctx, range(30)), 3, ordered=False))
    assert sorted(got) == [x * x for x in range(30)]


@synctest.synctest
def test_or_done_forwards_until_the_source_is_drained() -> None:
    ctx = background()
    assert list(or_done(ctx, generator(ctx, "abc"))) == ["a", "b", "c"]


@synctest.synctest
def test_tee_gives_both_readers_every_value() -> None:
    ctx = background()
    a, b = tee(ctx, generator(ctx, range(5)))
    got: Chan[list[int]] = Chan(1)
    go(lambda: got.send(list(b)))
    assert list(a) == [0, 1, 2, 3, 4]
    assert got.recv() == [0, 1, 2, 3, 4]


@synctest.synctest
def test_bridge_flattens_a_channel_of_channels_in_order() -> None:
    ctx = background()
    streams = generator(ctx, [generator(ctx, [1, 2]), generator(ctx, []), generator(ctx, [3])])
    assert list(bridge(ctx, streams)) == [1, 2, 3]


@synctest.synctest
def test_take_stops_after_n_values() -> None:
    with with_cancel(background()) as (ctx, _):
        assert list(take(ctx, generator(ctx, range(100)), 3)) == [0, 1, 2]
    # the generator upstream is ended by the cancel: the bubble checks no goroutine is left


@synctest.synctest
def test_batch_flushes_on_size_and_at_close() -> None:
    ctx = background()
    assert list(batch(ctx, generator(ctx, range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


@synctest.synctest
def test_batch_flushes_a_partial_batch_when_max_wait_passes() -> None:
    src: Chan[int] = Chan()
    out = batch(background(), src, 10, max_wait=1.0)
    src.send(1)
    src.send(2)
    sleep(0.5)
    src.send(3)
    assert out.recv() == [1, 2, 3]  # flushed 1.0 s after its first value, not after the last
    src.send(4)
    src.close()
    assert list(out) == [[4]]


@pytest.mark.parametrize("bad", [0, -1])
def test_counts_below_one_are_refused(bad: int) -> None:
    def main() -> None:
        ctx = background()
        src: Chan[int] = Chan()
        for call in (
            lambda: batch(ctx, src, bad),
            lambda: fan_out(ctx, src, square, bad),
            lambda: parallel_map(ctx, square, src, bad),
        ):
            with pytest.raises(ValueError, match=f"must be an int >= 1, got {bad}"):
                call()

    synctest.run(main)


# -- cancellation: no stage leaks a goroutine ---------------------------------------------------------

Stage = Callable[[Context, RecvChan[int]], RecvChan[object]]

STAGES: dict[str, Stage] = {
    "or_done": or_done,
    "merge": lambda ctx, src: merge(ctx, src, generator(ctx, range(1000))),
    "fan_out": lambda ctx, src: merge(ctx, *fan_out(ctx, src, square, 3)),
    "parallel_map": lambda ctx, src: parallel_map(ctx, square, src, 3),
    "parallel_map_unordered": lambda ctx, src: parallel_map(ctx, square, src, 3, ordered=False),
    "batch": lambda ctx, src: batch(ctx, src, 4, max_wait=1.0),
    "tee": lambda ctx, src: merge(ctx, *tee(ctx, src)),
    "bridge": lambda ctx, src: bridge(ctx, generator(ctx, [src, generator(ctx, range(5))])),
    "take": lambda ctx, src: take(ctx, src, 500),
}


@pytest.mark.parametrize("name", STAGES)
@settings(max_examples=examples(20), deadline=None)
@given(read=st.integers(0, 20))
def test_cancelling_the_context_ends_every_goroutine_of_the_stage(name: str, read: int) -> None:
    def main() -> None:
        before = num_goroutine()
        ctx, cancel = with_cancel(background())
        out = STAGES[name](ctx, generator(ctx, range(1000)))  # far more than anyone reads
        for _ in range(read):
            out.recv()
        assert num_goroutine() > before
        cancel()
        synctest.wait()  # every stage goroutine has either exited or is blocked: count them
        assert num_goroutine() == before, f"{name} leaked {num_goroutine() - before} goroutines"

    synctest.run(main)


# -- properties --------------------------------------------------------------------------------------


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.lists(st.integers(), max_size=12), max_size=6))
def test_merge_preserves_the_multiset(sources: list[list[int]]) -> None:
    def main() -> list[int]:
        ctx = background()
        return list(merge(ctx, *(generator(ctx, s) for s in sources)))

    got = synctest.run(main)
    assert Counter(got) == Counter(x for s in sources for x in s)


@settings(max_examples=examples(100), deadline=None)
@given(
    arrivals=st.lists(st.tuples(st.integers(), st.sampled_from([0.0, 0.25, 0.5, 1.0, 3.0])), max_size=40),
    size=st.integers(1, 6),
    max_wait=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_batch_keeps_order_bounds_sizes_and_flushes_on_max_wait(
    arrivals: list[tuple[int, float]], size: int, max_wait: float
) -> None:
    def main() -> list[tuple[float, list[int]]]:
        src: Chan[int] = Chan()
        out = batch(background(), src, size, max_wait=max_wait)
        got: Chan[list[tuple[float, list[int]]]] = Chan(1)
        from gochan import now

        def reader() -> None:
            got.send([(now(), b) for b in out])

        go(reader)
        start = now()
        firsts: list[float] = []
        for v, gap in arrivals:
            sleep(gap)
            firsts.append(now() - start)
            src.send(v)
        src.close()
        batches = got.recv()
        assert batches is not None
        return [(t - start, b) for t, b in batches]

    batches = synctest.run(main)
    flat = [v for _, b in batches for v in b]
    assert flat == [v for v, _ in arrivals]  # order kept, nothing lost or duplicated
    assert all(1 <= len(b) <= size for _, b in batches)
    # a batch never waits longer than max_wait after its first value arrived
    times = []
    t = 0.0
    for _, gap in arrivals:
        t += gap
        times.append(t)
    i = 0
    for sent_at, b in batches:
        assert sent_at <= times[i] + max_wait
        i += len(b)


@settings(max_examples=examples(100), deadline=None)
@given(delays=st.lists(st.integers(0, 5), max_size=30), workers=st.integers(1, 5))
def test_parallel_map_ordered_keeps_input_order(delays: list[int], workers: int) -> None:
    def work(item: tuple[int, int]) -> int:
        i, d = item
        sleep(float(d))
        return i

    def main() -> list[int]:
        ctx = background()
        return list(parallel_map(ctx, work, generator(ctx, list(enumerate(delays))), workers))

    assert synctest.run(main) == list(range(len(delays)))
