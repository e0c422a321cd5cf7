"""Limiter: a token bucket refilled by a ticker; take a token before each event (Go by Example: rate limiting).

Go::

    limiter := make(chan time.Time, burst)
    for i := 0; i < burst; i++ { limiter <- time.Now() }       // start full: a burst is allowed
    go func() {
        for t := range time.Tick(period) { limiter <- t }       // one token per period
    }()
    for req := range requests { <-limiter; handle(req) }

:class:`Limiter` is that bucket: ``c`` is the channel of tokens (each carries the time it was
minted), so ``select(recv(lim.c), recv(ctx.done()))`` waits for a token or a cancellation, and
``wait(ctx)`` / ``allow()`` are the blocking and non-blocking forms. The refill goroutine ends
when :meth:`Limiter.stop` is called (or the ``with`` block exits) or ``ctx`` is done.

Rate: ``rate`` tokens per second, steady; at most ``burst`` saved up. A full bucket drops the
tick (the ticker itself drops ticks for a slow receiver, Go 1.23), so an idle period never
builds more than ``burst`` credit. Unlike ``golang.org/x/time/rate``, which computes tokens
lazily from the clock, this costs a goroutine and a timer event per period — the price of being a
channel usable in ``select``. Keep ``rate`` to what a ticker can serve (thousands per second).

Invariants:
  0 <= len(c) <= burst
  the refill goroutine runs iff neither stop() was called nor ctx is done
"""

from __future__ import annotations

from types import TracebackType
from typing import Self, final

from gochan import Chan, RecvChan, go, new_ticker, now, recv, select
from gochan.context import Context

__all__ = ["Limiter"]


@final
class Limiter:
    """A token bucket of ``burst`` tokens refilled at ``rate`` per second by a ticker goroutine.

    Starts full. Use ``with Limiter(rate, burst) as lim:`` or call :meth:`stop`; or give ``ctx``.
    """

    __slots__ = ("_stop", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int = 1, *, ctx: Context | None = None) -> None:
        if not (isinstance(rate, (int, float)) and rate > 0 and rate != float("inf")):
            raise ValueError(f"Limiter: rate must be a positive, finite number of events per second, got {rate!r}")
        if burst.__class__ is not int or burst < 1:
            raise ValueError(f"Limiter: burst must be an int >= 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self._tokens: Chan[float] = Chan(burst, zero=0.0)
        t = now()
        for _ in range(burst):
            self._tokens.send(t)
        self._stop: Chan[None] = Chan()
        go(self._refill, ctx.done() if ctx is not None else None)

    def __repr__(self) -> str:
        return f"<Limiter rate={self.rate:g}/s burst={self.burst} tokens={len(self._tokens)}>"

    def _refill(self, done: RecvChan[None] | None) -> None:
        ticker = new_ticker(1.0 / self.rate)
        tokens = self._tokens
        try:
            while True:
                match select(recv(ticker.c), recv(self._stop), recv(done)):
                    case (0, t, True):
                        tokens.try_send(t)  # a full bucket drops the tick
                    case _:
                        return
        finally:
            ticker.stop()

    @property
    def c(self) -> RecvChan[float]:
        """The tokens: receive one before each event; each is the time it was minted. Usable in ``select``."""
        return self._tokens

    def wait(self, ctx: Context | None = None) -> None:
        """Take a token, waiting for one; with ``ctx``, raise ``ctx.err()`` if it is done first."""
        cd = ctx.done() if ctx is not None else None
        if cd is None:
            self._tokens.recv()
            return
        if select(recv(self._tokens), recv(cd))[0] == 1:
            assert ctx is not None
            err = ctx.err()
            assert err is not None
            raise err

    def allow(self) -> bool:
        """Take a token if one is there now; whether one was taken (never waits)."""
        return self._tokens.try_recv() is not None

    def stop(self) -> None:
        """End the refill goroutine; tokens left can still be taken. Stopping twice does nothing."""
        if not self._stop.closed:
            self._stop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
