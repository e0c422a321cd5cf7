"""Pipeline stages: functions over channels, each returning a receive-only channel it closes when done.

Go ("Go Concurrency Patterns: Pipelines and cancellation"; "Concurrency in Go", ch. 4)::

    func sq(done <-chan struct{}, in <-chan int) <-chan int {
        out := make(chan int)
        go func() {
            defer close(out)
            for n := range in {
                select {
                case out <- n * n:
                case <-done:
                    return
                }
            }
        }()
        return out
    }

Every stage here has that shape: ``ctx`` first (Go's rule), input channels after, and a
receive-only output channel it closes when it ends. A stage ends when its input is closed and
drained, or when ``ctx`` is done — every receive and send of a stage is a ``select`` with
``ctx.done()`` — so cancelling ``ctx`` ends every stage of a pipeline and leaks no goroutine,
whoever stopped reading. (With a context that can never be cancelled, ``background()``, the
stages use plain sends and receives: ``done()`` is None.)

The stages: :func:`generator` (values → channel), :func:`merge` (fan-in, closed by a WaitGroup
closer), :func:`fan_out` (n workers reading one input), :func:`batch` (by size, by time, and at
close), :func:`parallel_map` (n workers, input order kept by default), :func:`or_done`,
:func:`tee`, :func:`bridge` (a channel of channels, flattened), :func:`take`. A function given to
a stage runs in the stage's goroutine: an exception escaping it ends the program like any
goroutine's (Go's panic); catch it inside and send an error value to keep the pipeline going.

Cost: one goroutine per stage (``merge``: one per input plus the closer; ``fan_out`` and
``parallel_map``: one per worker, plus a feeder and an emitter for the ordered map), and one
channel operation per value per stage — a ``select`` of two cases when ``ctx`` can be cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from gochan import Chan, RecvChan, go, new_timer, recv, select, send
from gochan.context import Context
from gochan.sync import WaitGroup

__all__ = ["batch", "bridge", "fan_out", "generator", "merge", "or_done", "parallel_map", "take", "tee"]

T = TypeVar("T")
R = TypeVar("R")

Done = RecvChan[None] | None


def _recv(src: RecvChan[T], done: Done) -> tuple[T, bool]:
    """Receive ``(v, ok)`` from ``src`` unless ``done`` closes first; ok False for either end (v is then None)."""
    if done is None:
        return src.recv_ok()  # type: ignore[return-value]  # not ok: v is None, and no caller uses it
    match select(recv(src), recv(done)):
        case (0, v, True):
            return v, True
        case _:
            return None, False  # type: ignore[return-value]  # as above


def _send(out: Chan[T], v: T, done: Done) -> bool:
    """Send ``v`` unless ``done`` closes first; whether it was sent."""
    if done is None:
        out.send(v)
        return True
    return select(send(out, v), recv(done))[0] == 0


def _forward(src: RecvChan[T], out: Chan[T], done: Done) -> None:
    """Copy ``src`` to ``out`` until ``src`` is drained or ``done`` closes (Go: ``for v := range orDone(...)``)."""
    while True:
        v, ok = _recv(src, done)
        if not ok or not _send(out, v, done):
            return


def _check_count(fn: str, what: str, n: int) -> None:
    if n.__class__ is not int or n < 1:
        raise ValueError(f"{fn}: {what} must be an int >= 1, got {n!r}")


def generator(ctx: Context, values: Iterable[T], *, buffer: int = 0) -> RecvChan[T]:
    """Send each of ``values`` on the returned channel, then close it (Go: a generator goroutine).

    ``buffer`` is the channel's capacity. The iteration stops when ``ctx`` is done.
    """
    out: Chan[T] = Chan(buffer)
    go(_generate, values, out, ctx.done())
    return out


def _generate(values: Iterable[T], out: Chan[T], done: Done) -> None:
    for v in values:
        if not _send(out, v, done):
            break
    out.close()


def or_done(ctx: Context, src: RecvChan[T]) -> RecvChan[T]:
    """``src``'s values until it is drained or ``ctx`` is done (Go: ``orDone(done, c)``).

    Lets a plain ``for v in ...`` loop over a channel stop on cancellation.
    """
    out: Chan[T] = Chan()
    go(_or_done, src, out, ctx.done())
    return out


def _or_done(src: RecvChan[T], out: Chan[T], done: Done) -> None:
    _forward(src, out, done)
    out.close()


def merge(ctx: Context, *srcs: RecvChan[T]) -> RecvChan[T]:
    """Fan-in: every value of every source on one channel, closed once all are drained (Go: ``merge(cs...)``).

    One forwarding goroutine per source; a WaitGroup counts them and a closer goroutine closes
    the output when the last ends. Values of one source keep their order; sources interleave.
    """
    out: Chan[T] = Chan()
    done = ctx.done()
    wg = WaitGroup()
    wg.add(len(srcs))
    for src in srcs:
        go(_merge_one, src, out, done, wg)
    go(_close_after, wg, out)
    return out


def _merge_one(src: RecvChan[T], out: Chan[T], done: Done, wg: WaitGroup) -> None:
    _forward(src, out, done)
    wg.done()


def _close_after(wg: WaitGroup, out: Chan[T]) -> None:
    wg.wait()
    out.close()


def fan_out(ctx: Context, src: RecvChan[T], fn: Callable[[T], R], workers: int) -> list[RecvChan[R]]:
    """``workers`` goroutines reading ``src`` and sending ``fn(v)`` on their own channel (Go: fan-out).

    Each value is handled by exactly one worker; :func:`merge` the outputs to fan back in.
    """
    _check_count("fan_out", "workers", workers)
    done = ctx.done()
    outs: list[RecvChan[R]] = []
    for _ in range(workers):
        out: Chan[R] = Chan()
        go(_map_into, src, fn, out, done)
        outs.append(out)
    return outs


def _map_into(src: RecvChan[T], fn: Callable[[T], R], out: Chan[R], done: Done) -> None:
    while True:
        v, ok = _recv(src, done)
        if not ok or not _send(out, fn(v), done):
            break
    out.close()


def parallel_map(
    ctx: Context, fn: Callable[[T], R], src: RecvChan[T], workers: int, *, ordered: bool = True
) -> RecvChan[R]:
    """``fn(v)`` for each value of ``src``, computed by ``workers`` goroutines.

    ``ordered=True`` keeps the input order: each value gets a one-slot result channel, queued in
    input order for an emitter goroutine, so at most ``workers`` results wait for a slower
    earlier one. ``ordered=False`` is :func:`fan_out` then :func:`merge`: results as they come.
    """
    _check_count("parallel_map", "workers", workers)
    if not ordered:
        return merge(ctx, *fan_out(ctx, src, fn, workers))
    done = ctx.done()
    work: Chan[tuple[T, Chan[R]]] = Chan()
    order: Chan[Chan[R]] = Chan(workers)
    out: Chan[R] = Chan()
    go(_feed, src, work, order, done)
    wg = WaitGroup()
    wg.add(workers)
    for _ in range(workers):
        go(_compute, fn, work, done, wg)
    go(_emit, order, out, done, wg)
    return out


def _feed(src: RecvChan[T], work: Chan[tuple[T, Chan[R]]], order: Chan[Chan[R]], done: Done) -> None:
    """Each value: its result slot into the order queue first, then (value, slot) to a worker."""
    while True:
        v, ok = _recv(src, done)
        if not ok:
            break
        slot: Chan[R] = Chan(1)
        if not _send(order, slot, done) or not _send(work, (v, slot), done):
            break
    work.close()
    order.close()


def _compute(fn: Callable[[T], R], work: Chan[tuple[T, Chan[R]]], done: Done, wg: WaitGroup) -> None:
    while True:
        item, ok = _recv(work, done)
        if not ok:
            break
        v, slot = item
        slot.send(fn(v))  # a slot of one, written once: never blocks
    wg.done()


def _emit(order: Chan[Chan[R]], out: Chan[R], done: Done, wg: WaitGroup) -> None:
    """Results in input order: wait on each slot in turn."""
    while True:
        slot, ok = _recv(order, done)
        if not ok:
            break
        v, ok = _recv(slot, done)
        if not ok or not _send(out, v, done):
            break
    wg.wait()  # every worker has ended (drained or cancelled): none is left behind this stage
    out.close()


def batch(ctx: Context, src: RecvChan[T], size: int, *, max_wait: float | None = None) -> RecvChan[list[T]]:
    """Group ``src``'s values into lists of at most ``size``, in order.

    A batch is sent when it is full, when ``max_wait`` seconds have passed since its first value
    arrived (if given), and when ``src`` is closed (the last, partial batch). No empty batch is
    ever sent. Go: the batching loop of a ``select`` on the input and a timer.
    """
    _check_count("batch", "size", size)
    out: Chan[list[T]] = Chan()
    go(_batch, src, out, size, max_wait, ctx.done())
    return out


def _batch(src: RecvChan[T], out: Chan[list[T]], size: int, max_wait: float | None, done: Done) -> None:
    buf: list[T] = []
    timer = new_timer(max_wait) if max_wait is not None else None
    if timer is not None:
        timer.stop()  # armed at each batch's first value
    try:
        while True:
            tc = timer.c if timer is not None and buf else None
            match select(recv(src), recv(tc), recv(done)):
                case (0, v, True):
                    buf.append(v)
                    if len(buf) < size:
                        if len(buf) == 1 and timer is not None:
                            assert max_wait is not None
                            timer.reset(max_wait)
                        continue
                case (0, _, False):
                    if buf:
                        _send(out, buf, done)
                    return
                case (1, _, _):
                    pass  # max_wait passed: flush what there is
                case _:
                    return
            if timer is not None:
                timer.stop()
            if not _send(out, buf, done):
                return
            buf = []
    finally:
        if timer is not None:
            timer.stop()
        out.close()


def tee(ctx: Context, src: RecvChan[T]) -> tuple[RecvChan[T], RecvChan[T]]:
    """Two channels that each receive every value of ``src`` (Go: ``tee``, "Concurrency in Go").

    A value is offered to both before the next is read, so the slower reader paces both.
    """
    out1: Chan[T] = Chan()
    out2: Chan[T] = Chan()
    go(_tee, src, out1, out2, ctx.done())
    return out1, out2


def _tee(src: RecvChan[T], out1: Chan[T], out2: Chan[T], done: Done) -> None:
    try:
        while True:
            v, ok = _recv(src, done)
            if not ok:
                return
            a: Chan[T] | None = out1
            b: Chan[T] | None = out2
            while a is not None or b is not None:  # Go: set each output to nil once it has the value
                match select(send(a, v), send(b, v), recv(done)):
                    case (0, _, _):
                        a = None
                    case (1, _, _):
                        b = None
                    case _:
                        return
    finally:
        out1.close()
        out2.close()


def bridge(ctx: Context, streams: RecvChan[RecvChan[T]]) -> RecvChan[T]:
    """The values of each channel received from ``streams``, one channel after another (Go: ``bridge``)."""
    out: Chan[T] = Chan()
    go(_bridge, streams, out, ctx.done())
    return out


def _bridge(streams: RecvChan[RecvChan[T]], out: Chan[T], done: Done) -> None:
    while True:
        stream, ok = _recv(streams, done)
        if not ok:
            break
        _forward(stream, out, done)
        if done is not None and done.try_recv() is not None:
            break
    out.close()


def take(ctx: Context, src: RecvChan[T], n: int) -> RecvChan[T]:
    """The first ``n`` values of ``src``, then closed (Go: ``take(done, stream, n)``).

    ``src`` is not drained: cancel ``ctx`` to end the stages upstream.
    """
    if n.__class__ is not int or n < 0:
        raise ValueError(f"take: n must be an int >= 0, got {n!r}")
    out: Chan[T] = Chan()
    go(_take, src, out, n, ctx.done())
    return out


def _take(src: RecvChan[T], out: Chan[T], n: int, done: Done) -> None:
    for _ in range(n):
        v, ok = _recv(src, done)
        if not ok or not _send(out, v, done):
            break
    out.close()
