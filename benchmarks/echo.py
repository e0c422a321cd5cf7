"""``python -m benchmarks.echo [C N S]``: throughput of a goroutine-per-connection echo server.

C client connections (default 100) each make N round trips (default 200) of S bytes (default
4096) to an echo server on loopback; server and clients are goroutines of one scheduler on one
thread. The same workload runs on asyncio streams in the same process for comparison.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from gochan import go, net, run, sync


def _handle(c: net.Conn) -> None:
    with c:
        buf = bytearray(65536)
        while n := c.read_into(buf):
            c.write(memoryview(buf)[:n])


def _serve(ln: net.Listener) -> None:
    while True:
        try:
            c = ln.accept()
        except net.ClosedError:
            return
        go(_handle, c)


def _gochan(conns: int, trips: int, size: int) -> float:
    ln = net.listen("tcp", "127.0.0.1:0")
    go(_serve, ln)
    payload = os.urandom(size)
    wg = sync.WaitGroup()

    def client() -> None:
        with net.dial("tcp", str(ln.addr())) as c:
            for _ in range(trips):
                c.write(payload)
                got = 0
                while got < size:
                    d = c.read(size - got)
                    assert d, "the echo server closed early"
                    got += len(d)

    t0 = time.perf_counter()
    for _ in range(conns):
        wg.go(client)
    wg.wait()
    dt = time.perf_counter() - t0
    ln.close()
    return dt


async def _asyncio(conns: int, trips: int, size: int) -> float:
    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while d := await r.read(65536):
            w.write(d)
            await w.drain()
        w.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    payload = os.urandom(size)

    async def client() -> None:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(trips):
            w.write(payload)
            await w.drain()
            await r.readexactly(size)
        w.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conns)))
    dt = time.perf_counter() - t0
    srv.close()
    return dt


def main(argv: list[str]) -> None:
    conns, trips, size = (int(x) for x in (argv[:3] if len(argv) >= 3 else ("100", "200", "4096")))
    print(f"{conns} connections x {trips} round trips x {size} B on loopback, one thread each")
    print()
    print("| server | round trips/s | MB/s each way |")
    print("|---|--:|--:|")
    for name, dt in (
        ("gochan.net, goroutine per connection", run(_gochan, conns, trips, size)),
        ("asyncio streams", asyncio.run(_asyncio(conns, trips, size))),
    ):
        rt = conns * trips
        print(f"| {name} | {rt / dt:,.0f} | {rt * size / dt / 1e6:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
