"""net: TCP listeners and connections on non-blocking sockets parked in the scheduler's poller.

Every test runs as a program under ``gochan.run`` (real clock) or ``run_in`` a virtual-time bubble.
In a bubble, time advances only while no goroutine waits on a file descriptor, so deadline tests
there let the deadline pass while nobody waits on an fd (or set one already passed). The two
tests that need a deadline to pass *during* an fd wait use a real 0.05 s deadline and assert only
the outcome.
"""

from __future__ import annotations

import random
import re
import resource
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from gochan import Chan, GochanError, dump_goroutines, go, gosched, run, sync
from gochan._runtime import Scheduler, current_scheduler, run_in
from gochan.errors import IOTimeoutError
from gochan.net import ClosedError, Conn, Listener, TCPAddr, dial, join_host_port, listen, split_host_port

T = TypeVar("T")

CLOSED = r"^use of closed network connection$"
TIMEOUT = r"^i/o timeout$"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "net.md"


def run_virtual(main: Callable[[], T]) -> T:
    """Run ``main`` as a program on virtual time (a synctest bubble)."""
    return run_in(Scheduler(None, virtual=True), main)


def take(ch: Chan[T]) -> T:
    """Receive a value that must be there (``recv`` returns None only for a closed channel)."""
    v = ch.recv()
    assert v is not None
    return v


def pair(ln: Listener | None = None) -> tuple[Listener, Conn, Conn]:
    """A listener on loopback and both ends of one connection to it: (listener, client, server)."""
    if ln is None:
        ln = listen("tcp", "127.0.0.1:0")
    c = dial("tcp", str(ln.addr()))
    return ln, c, ln.accept()


def read_exactly(c: Conn, n: int) -> bytes:
    """Go's ``io.ReadFull``: read until ``n`` bytes or EOF."""
    buf = bytearray()
    while len(buf) < n:
        chunk = c.read(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def read_all(c: Conn) -> bytes:
    """Go's ``io.ReadAll``: read until EOF."""
    buf = bytearray()
    while chunk := c.read(1 << 16):
        buf += chunk
    return bytes(buf)


def fill_send_buffers(c: Conn) -> int:
    """Write into ``c`` until the socket would block (the peer is not reading); return bytes written.

    Leaves the kernel buffers full, so the next ``c.write`` parks.
    """
    sock = socket.socket(fileno=c.fileno())  # the same fd, only for a raw non-blocking send
    total = 0
    try:
        sock.setblocking(False)
        chunk = b"\0" * (1 << 16)
        while True:
            try:
                total += sock.send(chunk)
            except BlockingIOError:
                return total
    finally:
        sock.detach()


# -- listen, dial, addresses ---------------------------------------------------------------------


def test_listen_port_zero_picks_a_free_port_shown_in_go_form() -> None:
    def main() -> None:
        with listen("tcp", "127.0.0.1:0") as ln:
            a = ln.addr()
            assert a.ip == "127.0.0.1"
            assert a.port > 0
            assert a.network() == "tcp"
            assert str(a) == f"127.0.0.1:{a.port}"
        with listen("tcp4", "127.0.0.1:") as ln:  # an empty port is 0, as in Go
            assert ln.addr().port > 0

    run(main)


def test_dial_and_accept_give_matching_addresses() -> None:
    def main() -> None:
        ln, c, s = pair()
        with ln, c, s:
            assert c.remote_addr() == ln.addr()
            assert s.local_addr() == ln.addr()
            assert c.local_addr() == s.remote_addr()
            assert str(c.local_addr()) == f"127.0.0.1:{c.local_addr().port}"

    run(main)


def test_dial_resolves_names_and_an_empty_host_is_the_local_system() -> None:
    def main() -> list[bytes]:
        got = []
        with listen("tcp4", "localhost:0") as ln:
            port = ln.addr().port
            assert ln.addr().ip == "127.0.0.1"
            for address in (f"localhost:{port}", f":{port}"):
                with dial("tcp", address) as c, ln.accept() as s:
                    c.write(address.encode())
                    got.append(s.read(100))
        return got

    hosts = [b.split(b":")[0] for b in run(main)]
    assert hosts == [b"localhost", b""]


def test_tcp6_on_ipv6_loopback_and_tcp4_refuses_an_ipv6_literal() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")

    def main() -> None:
        try:
            ln = listen("tcp6", "[::1]:0")
        except OSError:
            pytest.skip("no IPv6 loopback")
        with ln:
            assert str(ln.addr()) == f"[::1]:{ln.addr().port}"
            with dial("tcp6", str(ln.addr())) as c, ln.accept() as s:
                assert s.remote_addr() == c.local_addr()
                assert c.remote_addr().ip == "::1"
        with pytest.raises(OSError, match=r"^address ::1: no suitable address found$"):
            listen("tcp4", "[::1]:0")
        with pytest.raises(OSError, match=r"^address 127.0.0.1: no suitable address found$"):
            dial("tcp6", "127.0.0.1:1")

    run(main)


def test_empty_host_listens_dual_stack_and_shows_ipv4_peers_as_ipv4() -> None:
    if not socket.has_dualstack_ipv6():
        pytest.skip("no dual-stack sockets")

    def main() -> None:
        with listen("tcp", ":0") as ln:
            assert str(ln.addr()) == f"[::]:{ln.addr().port}"
            with dial("tcp4", f"127.0.0.1:{ln.addr().port}") as c, ln.accept() as s:
                assert str(s.remote_addr()) == str(c.local_addr())  # not "[::ffff:127.0.0.1]:..."
                assert s.local_addr() == TCPAddr("127.0.0.1", ln.addr().port)

    run(main)


def test_dial_refused_raises_connection_refused_error() -> None:
    def main() -> None:
        ln = listen("tcp", "127.0.0.1:0")
        address = str(ln.addr())
        ln.close()  # nothing listens there now
        with pytest.raises(ConnectionRefusedError):
            dial("tcp", address)

    run(main)


def test_dial_timeout_of_zero_or_less_fails_at_once() -> None:
    def main() -> None:
        with listen("tcp", "127.0.0.1:0") as ln:
            for timeout in (0.0, -1.0):
                with pytest.raises(IOTimeoutError, match=TIMEOUT):
                    dial("tcp", str(ln.addr()), timeout=timeout)

    run_virtual(main)


def test_dial_timeout_when_the_server_backlog_is_full() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)  # Linux: one connection in the accept queue, then SYNs are dropped
    host, port = srv.getsockname()
    fillers = []
    try:
        for _ in range(3):
            f = socket.socket()
            f.setblocking(False)
            f.connect_ex((host, port))
            fillers.append(f)

        def main() -> float:
            # The handshakes of the fillers complete asynchronously: let the queue fill first.
            s = current_scheduler()
            s.sleep_until(s.clock() + 0.05)
            t0 = s.clock()
            try:
                dial("tcp", f"{host}:{port}", timeout=0.05).close()
            except IOTimeoutError as e:
                assert str(e) == "i/o timeout"
                assert isinstance(e, TimeoutError)
                return s.clock() - t0
            pytest.skip("the kernel accepted beyond the listen backlog")

        assert run(main) >= 0.05
    finally:
        for f in fillers:
            f.close()
        srv.close()


def test_split_and_join_host_port_follow_go() -> None:
    assert split_host_port("127.0.0.1:80") == ("127.0.0.1", "80")
    assert split_host_port("[::1]:80") == ("::1", "80")
    assert split_host_port("[fe80::1%eth0]:http") == ("fe80::1%eth0", "http")
    assert split_host_port(":0") == ("", "0")
    assert split_host_port("localhost:") == ("localhost", "")
    assert join_host_port("::1", "80") == "[::1]:80"
    assert join_host_port("example.com", "80") == "example.com:80"
    errors = {
        "127.0.0.1": "missing port in address",
        "::1:80": "too many colons in address",
        "[::1]": "missing port in address",
        "[::1]80": "missing port in address",
        "[::1]:80:": "too many colons in address",
        "[::1:80": "missing ']' in address",
        "a[b:80": "unexpected '[' in address",
        "ab]:80": "unexpected ']' in address",
    }
    for address, why in errors.items():
        with pytest.raises(ValueError, match=f"^{re.escape(f'address {address}: {why}')}$"):
            split_host_port(address)


def test_bad_networks_and_ports_raise_go_texts() -> None:
    def main() -> None:
        with pytest.raises(ValueError, match=r"^unknown network udp$"):
            listen("udp", "127.0.0.1:0")
        with pytest.raises(ValueError, match=r"^unknown network unix$"):
            dial("unix", "/tmp/x:0")
        with pytest.raises(ValueError, match=r"^address 127.0.0.1: missing port in address$"):
            dial("tcp", "127.0.0.1")
        with pytest.raises(ValueError, match=r"^address 70000: invalid port$"):
            dial("tcp", "127.0.0.1:70000")
        with pytest.raises(OSError, match=r"^lookup tcp/no-such-service: unknown port$"):
            dial("tcp", "127.0.0.1:no-such-service")

    run(main)


def test_conn_and_listener_adopt_only_tcp_sockets() -> None:
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(ValueError, match=r"^net\.Conn needs a TCP socket"):
            Conn(a)
        with pytest.raises(ValueError, match=r"^net\.Listener needs a TCP socket"):
            Listener(b)


# -- reading and writing -----------------------------------------------------------------------------


def test_read_returns_empty_bytes_at_eof() -> None:
    def main() -> list[bytes]:
        ln, c, s = pair()
        with ln, s:
            c.write(b"last words")
            c.close()
            return [s.read(100), s.read(100), s.read(100)]

    assert run(main) == [b"last words", b"", b""]


def test_close_write_half_closes_and_the_peer_can_still_answer() -> None:
    def main() -> bytes:
        ln, c, s = pair()
        with ln, c, s:
            c.write(b"question")
            c.close_write()
            assert read_all(s) == b"question"  # EOF after the half-close
            s.write(b"answer")
            s.close()
            return read_all(c)

    assert run(main) == b"answer"


def test_read_zero_read_into_and_negative_size() -> None:
    def main() -> None:
        ln, c, s = pair()
        with ln, c, s:
            assert s.read(0) == b""
            with pytest.raises(ValueError, match=r"^net\.Conn\.read: negative size -1$"):
                s.read(-1)
            c.write(memoryview(b"abcdef")[1:4])
            buf = bytearray(10)
            n = s.read_into(buf)
            assert buf[:n] == b"bcd"
            c.close()
            assert s.read_into(buf) == 0

    run(main)


def test_write_writes_everything_and_parks_while_the_peer_is_slow() -> None:
    payload = random.Random(7).randbytes(8 << 20)  # far more than the socket buffers hold

    def main() -> list[str]:
        events: list[str] = []
        ln, c, s = pair()
        done: Chan[bytes] = Chan()

        def writer() -> None:
            events.append("write start")
            assert c.write(payload) == len(payload)
            events.append("write done")
            c.close()

        def slow_reader() -> None:
            got = bytearray()
            while chunk := s.read(4096):
                if not got:
                    events.append("first read")
                got += chunk
                gosched()
            done.send(bytes(got))

        go(writer)
        go(slow_reader)
        got = take(done)
        ln.close()
        s.close()
        assert got == payload
        return events

    assert run(main) == ["write start", "first read", "write done"]


def test_write_accepts_any_contiguous_buffer() -> None:
    def main() -> bytes:
        ln, c, s = pair()
        with ln, s:
            with c:
                assert c.write(bytearray(b"ab")) == 2
                assert c.write(memoryview(struct.pack("<2H", 0x6463, 0x6665)).cast("H")) == 4  # 4 bytes, 2 items
                assert c.write(b"") == 0
            return read_all(s)

    assert run(main) == b"abcdef"


def test_only_the_calling_goroutine_blocks() -> None:
    def main() -> list[str]:
        events: list[str] = []
        ln, c, s = pair()
        got: Chan[bytes] = Chan()
        ping: Chan[int] = Chan()
        pong: Chan[int] = Chan()

        def reader() -> None:
            events.append("read")
            got.send(s.read(100))

        def echo() -> None:
            for v in ping:
                pong.send(v)

        go(reader)
        go(echo)
        gosched()  # the reader parks in the poller
        assert re.search(r"^goroutine \d+ \[IO wait[\],]", dump_goroutines(), re.M)
        for i in range(1000):  # the rest of the program runs on while the reader waits
            ping.send(i)
            assert pong.recv() == i
        events.append("1000 round trips")
        c.write(b"at last")
        events.append(f"got {take(got)!r}")
        ping.close()
        for x in (ln, c, s):
            x.close()
        return events

    assert run(main) == ["read", "1000 round trips", "got b'at last'"]


def test_concurrent_reads_are_served_one_at_a_time_in_order() -> None:
    def main() -> list[str]:
        ln, c, s = pair()
        events: Chan[str] = Chan()

        def reader(name: str) -> None:
            events.send(f"{name} {s.read(100).decode()}")

        go(reader, "r1")
        gosched()  # r1 parks on the fd
        go(reader, "r2")
        gosched()  # r2 parks behind it (no "another goroutine is already waiting" error)
        c.write(b"a")
        first = take(events)
        c.write(b"b")
        second = take(events)
        for x in (ln, c, s):
            x.close()
        return [first, second]

    assert run(main) == ["r1 a", "r2 b"]


def test_concurrent_writes_never_interleave() -> None:
    n = 4 << 20

    def main() -> bytes:
        ln, c, s = pair()
        wg = sync.WaitGroup()
        wg.go(c.write, b"a" * n)  # parks partway: the socket buffers hold far less
        wg.go(c.write, b"b" * n)
        result: Chan[bytes] = Chan()
        go(lambda: result.send(read_all(s)))
        wg.wait()
        c.close()
        got = take(result)
        ln.close()
        s.close()
        return got

    got = run(main)
    assert got == b"a" * n + b"b" * n


def test_read_from_a_reset_connection_raises_connection_reset_error() -> None:
    def main() -> None:
        ln, c, s = pair()
        with ln, s:
            raw = socket.socket(fileno=c.fileno())
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.detach()
            c.close()  # with SO_LINGER 0: an RST, not a FIN
            with pytest.raises(ConnectionResetError):
                s.read(100)

    run(main)


# -- system-call retries -------------------------------------------------------------------------------


class FlakySocket(socket.socket):
    """A socket whose recv and send are interrupted (EINTR) on their first call."""

    interrupted: list[str]

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        if "recv" not in self.interrupted:
            self.interrupted.append("recv")
            raise InterruptedError
        return super().recv(bufsize, flags)

    def send(self, data: object, flags: int = 0, /) -> int:
        if "send" not in self.interrupted:
            self.interrupted.append("send")
            raise InterruptedError
        return super().send(data, flags)  # type: ignore[arg-type]  # typeshed: ReadableBuffer


class FlakyListenSocket(socket.socket):
    """A listening socket whose accept fails first with EINTR, then ECONNABORTED (a peer gave up)."""

    failures: list[type[OSError]]

    def accept(self) -> tuple[socket.socket, object]:
        if self.failures:
            raise self.failures.pop(0)()
        return super().accept()


def adopt(sock: socket.socket, cls: type[socket.socket]) -> socket.socket:
    return cls(sock.family, sock.type, sock.proto, fileno=sock.detach())


def test_eintr_is_retried_on_read_and_write() -> None:
    def main() -> list[str]:
        with listen("tcp", "127.0.0.1:0") as ln:
            raw = socket.create_connection((ln.addr().ip, ln.addr().port))
            flaky = adopt(raw, FlakySocket)
            assert isinstance(flaky, FlakySocket)
            flaky.interrupted = []
            with Conn(flaky) as c, ln.accept() as peer:
                assert c.write(b"ping") == 4
                assert peer.read(10) == b"ping"
                peer.write(b"pong")
                assert c.read(10) == b"pong"
                return flaky.interrupted

    assert run(main) == ["send", "recv"]


def test_accept_retries_eintr_and_skips_aborted_connections() -> None:
    def main() -> bytes:
        raw = socket.socket()
        raw.bind(("127.0.0.1", 0))
        raw.listen()
        flaky = adopt(raw, FlakyListenSocket)
        assert isinstance(flaky, FlakyListenSocket)
        flaky.failures = [InterruptedError, ConnectionAbortedError]
        with Listener(flaky) as ln, dial("tcp", str(ln.addr())) as c, ln.accept() as s:
            assert flaky.failures == []
            c.write(b"through")
            return s.read(10)

    assert run(main) == b"through"


def test_conn_adopts_a_blocking_socket_and_makes_it_non_blocking() -> None:
    def main() -> None:
        with listen("tcp", "127.0.0.1:0") as ln:
            raw = socket.create_connection((ln.addr().ip, ln.addr().port))
            assert raw.getblocking()
            with Conn(raw) as c, ln.accept() as s:
                assert not raw.getblocking()
                assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                assert c.remote_addr() == ln.addr()
                assert s.remote_addr() == c.local_addr()

    run(main)


# -- close ------------------------------------------------------------------------------------------------


def test_use_after_close_raises_go_text() -> None:
    def main() -> None:
        ln, c, s = pair()
        s.close()
        ln.close()
        laddr, raddr = c.local_addr(), c.remote_addr()
        c.close()
        c.close()  # idempotent, as socket.close
        assert c.fileno() == -1
        assert (c.local_addr(), c.remote_addr()) == (laddr, raddr)  # still available, as in Go
        assert ln.addr().port == raddr.port
        ops: list[Callable[[], object]] = [
            lambda: c.read(1),
            lambda: c.read_into(bytearray(1)),
            lambda: c.write(b"x"),
            lambda: c.write(b""),
            c.close_write,
            c.close_read,
            lambda: c.set_deadline(None),
            lambda: c.set_read_deadline(None),
            lambda: c.set_write_deadline(None),
            ln.accept,
            lambda: ln.set_deadline(None),
        ]
        for op in ops:
            with pytest.raises(ClosedError, match=CLOSED) as ei:
                op()
            assert isinstance(ei.value, OSError)
            assert isinstance(ei.value, GochanError)
        assert repr(c).endswith(" closed>")

    run(main)


def test_context_managers_close() -> None:
    def main() -> None:
        with listen("tcp", "127.0.0.1:0") as ln, dial("tcp", str(ln.addr())) as c, ln.accept() as s:
            pass
        for x in (ln, c, s):
            assert x.fileno() == -1

    run(main)


def test_close_wakes_a_goroutine_blocked_in_read() -> None:
    def main() -> list[str]:
        ln, c, s = pair()
        events: list[str] = []
        done: Chan[None] = Chan()

        def reader() -> None:
            try:
                s.read(10)
            except ClosedError as e:
                events.append(f"reader: {e}")
            done.send(None)

        go(reader)
        gosched()
        events.append("close")
        s.close()
        done.recv()
        ln.close()
        c.close()
        return events

    assert run(main) == ["close", "reader: use of closed network connection"]


def test_close_wakes_a_goroutine_blocked_in_write_and_one_queued_behind_it() -> None:
    def main() -> list[str]:
        ln, c, s = pair()
        fill_send_buffers(c)
        events: Chan[str] = Chan(2)

        def writer(name: str) -> None:
            try:
                c.write(b"more" * 100_000)
            except ClosedError as e:
                events.send(f"{name}: {e}")

        go(writer, "w1")
        gosched()  # w1 parks on the fd
        go(writer, "w2")
        gosched()  # w2 parks on the write lock
        c.close()
        got = [take(events), take(events)]
        ln.close()
        s.close()
        return got

    assert run(main) == ["w1: use of closed network connection", "w2: use of closed network connection"]


def test_closing_the_listener_stops_a_blocked_accept() -> None:
    def main() -> str:
        ln = listen("tcp", "127.0.0.1:0")
        result: Chan[str] = Chan()

        def serve() -> None:
            try:
                ln.accept()
            except ClosedError as e:
                result.send(str(e))

        go(serve)
        gosched()
        ln.close()
        return take(result)

    assert run(main) == "use of closed network connection"


def test_closing_a_waited_on_fd_unregisters_it_so_its_number_can_be_reused() -> None:
    def main() -> bytes:
        ln, c, srv = pair()

        def reader() -> None:
            with pytest.raises(ClosedError):
                srv.read(1)

        go(reader)
        gosched()  # srv's fd is registered with the poller for the parked reader
        fd = srv.fileno()
        srv.close()
        p = current_scheduler().get_poller()
        assert fd not in p.readers
        with pytest.raises(KeyError):
            p.sel.get_key(fd)
        with ln, c, dial("tcp", str(ln.addr())) as c2, ln.accept() as s2:
            assert c2.fileno() == fd  # the lowest free number: a stale registration would lose its events
            got: Chan[bytes] = Chan()
            go(lambda: got.send(c2.read(10)))
            gosched()
            s2.write(b"fresh")
            return take(got)

    assert run(main) == b"fresh"


# -- deadlines ------------------------------------------------------------------------------------------------


def test_passed_read_deadline_fails_even_with_data_ready_virtual_time() -> None:
    def main() -> list[object]:
        s = current_scheduler()
        ln, c, srv = pair()
        c.write(b"ready")
        t0 = s.clock()
        srv.set_read_deadline(t0 + 5.0)
        s.sleep_until(t0 + 5.0)  # no fd wait outstanding: virtual time jumps
        with pytest.raises(IOTimeoutError, match=TIMEOUT) as ei:
            srv.read(10)
        assert isinstance(ei.value, TimeoutError)
        assert isinstance(ei.value, OSError)
        srv.set_read_deadline(None)  # cleared: reads work again
        got = srv.read(10)
        for x in (ln, c, srv):
            x.close()
        return [s.clock() - t0, got]

    assert run_virtual(main) == [5.0, b"ready"]


def test_write_deadline_and_set_deadline_virtual_time() -> None:
    def main() -> None:
        s = current_scheduler()
        ln, c, srv = pair()
        c.set_write_deadline(s.clock() + 1.0)
        assert c.write(b"before") == 6
        s.sleep_until(s.clock() + 1.0)
        with pytest.raises(IOTimeoutError, match=TIMEOUT):
            c.write(b"after")
        srv.write(b"x")
        assert c.read(1) == b"x"
        c.set_deadline(s.clock() - 1.0)  # both directions, already passed
        with pytest.raises(IOTimeoutError, match=TIMEOUT):
            c.read(1)
        with pytest.raises(IOTimeoutError, match=TIMEOUT):
            c.write(b"x")
        c.set_deadline(None)
        c.write(b"y")
        assert srv.read(100) == b"beforey"
        for x in (ln, c, srv):
            x.close()

    run_virtual(main)


def test_a_passed_deadline_wakes_a_blocked_reader_and_writer_virtual_time() -> None:
    def main() -> list[str]:
        s = current_scheduler()
        ln, c, srv = pair()
        fill_send_buffers(c)
        events: Chan[str] = Chan(2)

        def reader() -> None:
            try:
                c.read(10)
            except IOTimeoutError as e:
                events.send(f"read: {e}")

        def writer() -> None:
            try:
                c.write(b"z" * 100_000)
            except IOTimeoutError as e:
                events.send(f"write: {e}")

        go(reader)
        go(writer)
        gosched()  # both park on the fd, with no deadline
        c.set_read_deadline(s.clock())
        first = take(events)
        c.set_write_deadline(s.clock() - 1)
        second = take(events)
        for x in (ln, c, srv):
            x.close()
        return [first, second]

    assert run_virtual(main) == ["read: i/o timeout", "write: i/o timeout"]


def test_a_future_deadline_set_while_blocked_lets_the_read_finish_virtual_time() -> None:
    def main() -> bytes:
        s = current_scheduler()
        ln, c, srv = pair()
        got: Chan[bytes] = Chan()
        go(lambda: got.send(srv.read(10)))
        gosched()
        srv.set_read_deadline(s.clock() + 3600)  # the reader re-parks with the new deadline
        gosched()
        c.write(b"in time")
        result = take(got)
        for x in (ln, c, srv):
            x.close()
        return result

    assert run_virtual(main) == b"in time"


def test_listener_deadline_virtual_time() -> None:
    def main() -> None:
        s = current_scheduler()
        with listen("tcp", "127.0.0.1:0") as ln:
            ln.set_deadline(s.clock() + 10)
            s.sleep_until(s.clock() + 10)
            with pytest.raises(IOTimeoutError, match=TIMEOUT):
                ln.accept()
            ln.set_deadline(None)
            with dial("tcp", str(ln.addr())) as c, ln.accept() as srv:
                assert srv.remote_addr() == c.local_addr()

    run_virtual(main)


def test_read_deadline_with_a_silent_peer_real_time() -> None:
    def main() -> float:
        s = current_scheduler()
        ln, c, srv = pair()
        t0 = s.clock()
        srv.set_read_deadline(t0 + 0.05)
        with pytest.raises(IOTimeoutError, match=TIMEOUT):
            srv.read(10)
        for x in (ln, c, srv):
            x.close()
        return s.clock() - t0

    assert run(main) >= 0.05


def test_clearing_a_deadline_while_blocked_cancels_it_real_time() -> None:
    def main() -> bytes:
        s = current_scheduler()
        ln, c, srv = pair()
        got: Chan[bytes] = Chan()
        srv.set_read_deadline(s.clock() + 0.03)
        go(lambda: got.send(srv.read(10)))
        gosched()  # parked with the 0.03 s deadline
        srv.set_read_deadline(None)
        s.sleep_until(s.clock() + 0.06)  # past the old deadline: the reader must still be waiting
        c.write(b"late")
        result = take(got)
        for x in (ln, c, srv):
            x.close()
        return result

    assert run(main) == b"late"


# -- an echo server with one goroutine per connection -----------------------------------------------------------


def raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < need:
            pytest.skip(f"needs {need} file descriptors, the hard limit is {hard}")


def echo_server(ln: Listener) -> None:
    """Accept until the listener closes; echo each connection in its own goroutine."""

    def handle(c: Conn) -> None:
        with c:
            while data := c.read(1 << 16):
                c.write(data)

    while True:
        try:
            c = ln.accept()
        except ClosedError:
            return
        go(handle, c)


def test_echo_server_serves_1000_concurrent_clients() -> None:
    clients = 1000
    raise_fd_limit(2 * clients + 100)
    rng = random.Random(2024)
    payloads = [rng.randbytes(rng.randint(1, 16384)) for _ in range(clients)]
    cuts = [sorted(rng.sample(range(1, len(p)), min(3, len(p) - 1))) for p in payloads]

    def main() -> list[bytes]:
        ln = listen("tcp", "127.0.0.1:0")
        go(echo_server, ln)
        results: list[bytes] = [b""] * clients
        wg = sync.WaitGroup()
        connected = sync.WaitGroup()
        connected.add(clients)
        peak = [0]

        def client(i: int) -> None:
            with dial("tcp", str(ln.addr())) as c:
                connected.done()
                connected.wait()  # every client is connected at once before any sends
                peak[0] += 1
                p = payloads[i]
                for a, b in zip([0, *cuts[i]], [*cuts[i], len(p)], strict=True):
                    c.write(p[a:b])  # in pieces: the server sees partial reads
                results[i] = read_exactly(c, len(p))

        for i in range(clients):
            wg.go(client, i)
        wg.wait()
        ln.close()
        assert peak[0] == clients
        return results

    t0 = time.monotonic()
    results = run(main)
    elapsed = time.monotonic() - t0
    bad = [i for i in range(clients) if results[i] != payloads[i]]
    assert bad == []
    assert elapsed < 30


# -- documentation ------------------------------------------------------------------------------------------------


def test_docs_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, str(DOCS), "exec"), {"__name__": "__docs__"})
