"""Go's ``net`` package, TCP only: listeners and connections for goroutine-per-connection servers.

``listen`` / ``Listener.accept`` / ``dial`` / ``Conn.read`` / ``Conn.write`` block only the calling
goroutine, as in Go; every other goroutine keeps running. Names are Go's, snake_cased::

    ln = net.listen("tcp", "127.0.0.1:0")      # Go: ln, err := net.Listen("tcp", "127.0.0.1:0")
    c = ln.accept()                            # Go: c, err := ln.Accept()
    data = c.read(4096)                        # Go: n, err := c.Read(buf)   (b"" at EOF)
    c.write(data)                              # Go: c.Write(data)           (writes all of it)

Design. Every socket is non-blocking. An operation is "try the system call now, else park on the
file descriptor": ``EAGAIN``/``EWOULDBLOCK`` parks the goroutine in ``Scheduler.wait_fd`` (Go's
netpoller, wait reason "IO wait") until the fd is ready or the deadline passes, then retries;
``EINTR`` retries at once; any other error is raised as the ``OSError`` the system call gave
(``ConnectionResetError``, ``BrokenPipeError``, ``ConnectionRefusedError``, ...). Alternatives: a
thread per blocking call (``to_thread``) costs a thread hand-off per read, and blocking sockets
would stop the whole scheduler.

As Go's ``fdMutex``, each direction of a socket has a lock (a ``sync.Mutex``): concurrent reads
are served one at a time, and concurrent writes never interleave their bytes, because a write
holds the write lock until all of its data is sent. One reader and one writer may be parked on
the same socket at once (the poller's limit).

Deadlines are absolute times on the scheduler clock (``current_scheduler().clock()``: real
monotonic seconds, or a bubble's virtual clock), or None for none. As in Go they apply to pending
operations too: setting a deadline wakes the parked reader or writer so that it re-parks with the
new deadline, or fails at once if the deadline has passed. ``close`` wakes them likewise (Go's
pollDesc evict), and they raise :class:`ClosedError`. A deadline is checked before each system
call, so an expired deadline fails even when data is ready (Go's ``prepareRead``).

Errors::

    OSError
     ├── ClosedError            "use of closed network connection" (Go: net.ErrClosed); also a GochanError
     ├── IOTimeoutError         "i/o timeout": a deadline or dial timeout passed (gochan.errors; a TimeoutError)
     └── ConnectionResetError, BrokenPipeError, ConnectionRefusedError, socket.gaierror, ...
                                as raised by the system call or the resolver
    ValueError                  a malformed address or an unknown network, with Go's texts
                                ("address 127.0.0.1: missing port in address", "unknown network udp")

Go wraps every error in a ``*net.OpError`` ("read tcp 127.0.0.1:80->127.0.0.1:5000: i/o timeout");
gochan raises the inner error itself. A Conn belongs to the scheduler (OS thread) whose goroutines
use it: it is not safe to use one Conn from two OS threads.
"""
# Invariants (per socket, per direction):
#   at most one goroutine is in ``wait_fd`` for the fd: it holds the direction's lock
#   rsched / wsched is the scheduler of the goroutine in ``wait_fd`` for reading / writing, else None
#   closed  implies  no goroutine stays parked on the fd, and the fd is not registered with the poller

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self, TypeVar, final

from ._runtime import Scheduler, current_scheduler, to_thread
from .errors import GochanError, IOTimeoutError
from .sync import Mutex

T = TypeVar("T")

__all__ = [
    "ClosedError",
    "Conn",
    "Listener",
    "TCPAddr",
    "dial",
    "join_host_port",
    "listen",
    "split_host_port",
]

_ERR_CLOSED: Final = "use of closed network connection"
_ERR_TIMEOUT: Final = "i/o timeout"
_FAMILIES: Final = {"tcp": socket.AF_UNSPEC, "tcp4": socket.AF_INET, "tcp6": socket.AF_INET6}
_CONNECTING: Final = frozenset({errno.EINPROGRESS, errno.EALREADY, errno.EINTR})  # Go's connect loop
_SANE_MINIMUM: Final = 2.0  # Go's dial: the least time one address of several gets, if there is that much

Buffer = bytes | bytearray | memoryview
SockAddr = tuple[str, int] | tuple[str, int, int, int]


@final
class ClosedError(GochanError, OSError):
    """An operation on a closed Conn or Listener: "use of closed network connection" (Go: ``net.ErrClosed``).

    Also raised by an operation that was blocked when another goroutine closed the socket.
    """


@final
@dataclass(frozen=True, slots=True)
class TCPAddr:
    """A TCP endpoint (Go: ``net.TCPAddr``); ``str()`` gives Go's form, ``"127.0.0.1:80"``, ``"[::1]:80"``."""

    ip: str
    port: int
    zone: str = ""  # IPv6 scope (interface name), as in "[fe80::1%eth0]:80"

    def network(self) -> str:
        """The address's network name (Go: ``Addr.Network()``)."""
        return "tcp"

    def __str__(self) -> str:
        host = f"{self.ip}%{self.zone}" if self.zone else self.ip
        return join_host_port(host, str(self.port))

    @staticmethod
    def from_sockaddr(sa: SockAddr) -> TCPAddr:
        """The TCPAddr of a Python socket address; an IPv4-mapped IPv6 address reads as IPv4, as in Go."""
        host, port = sa[0], sa[1]
        ip, _, zone = host.partition("%")
        if ip.startswith("::ffff:") and "." in ip:
            ip = ip[7:]
        return TCPAddr(ip, port, zone)


# -- the poll descriptor ------------------------------------------------------------------------


@final
class _FD:
    """One non-blocking socket and its two directions (Go: ``netFD`` with its ``pollDesc``).

    Fields are changed only by the goroutines of the owning scheduler; ``rsched``/``wsched`` only
    by ``wait`` (set around ``wait_fd``).
    """

    __slots__ = ("sock", "fd", "closed", "rdeadline", "wdeadline", "rsched", "wsched", "rmu", "wmu")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock: Final = sock
        self.fd: Final = sock.fileno()
        self.closed = False
        self.rdeadline: float | None = None
        self.wdeadline: float | None = None
        self.rsched: Scheduler | None = None
        self.wsched: Scheduler | None = None
        self.rmu: Final = Mutex()  # serialises readers (accepts, for a listener)
        self.wmu: Final = Mutex()  # serialises writers: one write's bytes are never interleaved

    def check(self, write: bool) -> None:
        """Raise if the socket is closed or the direction's deadline has passed (Go: prepareRead/Write)."""
        if self.closed:
            raise ClosedError(_ERR_CLOSED)
        dl = self.wdeadline if write else self.rdeadline
        if dl is not None and current_scheduler().clock() >= dl:
            raise IOTimeoutError(_ERR_TIMEOUT)

    def retry(self, write: bool, op: Callable[[], T]) -> T:
        """Run the non-blocking ``op`` until it does not raise EAGAIN (park) or EINTR (at once).

        Checks for close and a passed deadline before every try, as Go's fd methods do.
        """
        while True:
            self.check(write)
            try:
                return op()
            except BlockingIOError:
                self.wait(write)
            except InterruptedError:
                pass

    def wait(self, write: bool) -> None:
        """Park until the fd is ready in that direction; raise IOTimeoutError if its deadline passes.

        Returns without an error also when woken by ``close`` or a deadline change: the caller
        loops back to ``check``, which decides.
        """
        s = current_scheduler()
        dl = self.wdeadline if write else self.rdeadline
        if write:
            self.wsched = s
        else:
            self.rsched = s
        try:
            ok = s.wait_fd(self.fd, write, dl)
        finally:
            if write:
                self.wsched = None
            else:
                self.rsched = None
        # Timed out with that deadline still set: fail. If the deadline changed (or the socket
        # closed) after the timer fired, ``check`` decides instead, as Go's netpollcheckerr does.
        if not ok and not self.closed and dl == (self.wdeadline if write else self.rdeadline):
            raise IOTimeoutError(_ERR_TIMEOUT)

    def kick(self, write: bool) -> None:
        """Wake the goroutine parked on the fd in that direction, if any (Go: netpollunblock)."""
        s = self.wsched if write else self.rsched
        if s is not None:
            s.unblock_fd(self.fd, write)

    def set_deadline(self, t: float | None, read: bool, write: bool) -> None:
        if self.closed:
            raise ClosedError(_ERR_CLOSED)
        if read:
            self.rdeadline = t
            self.kick(False)
        if write:
            self.wdeadline = t
            self.kick(True)

    def close(self) -> None:
        """Close the socket; parked goroutines wake and raise ClosedError (Go: pollDesc evict). Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.kick(False)
        self.kick(True)
        current_scheduler().forget_fd(self.fd)  # before the fd number can be reused
        self.sock.close()


# -- connections ----------------------------------------------------------------------------------


class _Socket:
    """What a Conn and a Listener share: ``fileno()`` and ``with x:`` closing it."""

    __slots__ = ()

    _fd: _FD

    def close(self) -> None:
        raise NotImplementedError

    def fileno(self) -> int:
        """The socket's file descriptor (-1 once closed)."""
        return -1 if self._fd.closed else self._fd.fd

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@final
class Conn(_Socket):
    """A TCP connection (Go: ``net.Conn``, a ``*net.TCPConn``); ``with conn:`` closes it.

    Any number of goroutines may use a Conn at once: reads are served one at a time, and so are
    writes; a read and a write may proceed together.
    """

    __slots__ = ("_fd", "_laddr", "_raddr")

    _fd: _FD
    _laddr: TCPAddr
    _raddr: TCPAddr

    def __init__(self, sock: socket.socket) -> None:
        """Adopt ``sock``, a connected TCP socket: it is made non-blocking and owned by the Conn.

        Go: ``net.FileConn`` (which duplicates the file; this takes the socket over). Sets
        TCP_NODELAY, as Go does for every TCP connection.
        """
        self._init(sock, None)

    def _init(self, sock: socket.socket, peer: SockAddr | None) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            raise ValueError(f"net.Conn needs a TCP socket (AF_INET or AF_INET6, SOCK_STREAM), got {sock!r}")
        self._fd = _FD(sock)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._laddr = TCPAddr.from_sockaddr(sock.getsockname())
        self._raddr = TCPAddr.from_sockaddr(sock.getpeername() if peer is None else peer)

    @classmethod
    def _new(cls, sock: socket.socket, peer: SockAddr) -> Conn:
        c = cls.__new__(cls)
        c._init(sock, peer)
        return c

    def __repr__(self) -> str:
        state = " closed" if self._fd.closed else ""
        return f"<net.Conn {self._laddr}->{self._raddr}{state}>"

    def read(self, n: int) -> bytes:
        """Read up to ``n`` bytes, blocking until at least one is available; ``b""`` at EOF.

        Go: ``c.Read(buf)``, which returns ``0, io.EOF`` where this returns ``b""`` (Python's
        convention, as ``socket.recv``). ``read(0)`` returns ``b""`` at once. Raises ClosedError,
        IOTimeoutError once the read deadline has passed, or the OSError of the system call.
        """
        if n < 0:
            raise ValueError(f"net.Conn.read: negative size {n}")
        fd = self._fd
        with fd.rmu:
            return fd.retry(False, lambda: fd.sock.recv(n))

    def read_into(self, buf: bytearray | memoryview) -> int:
        """Read into ``buf``; return how many bytes were read, 0 at EOF (Go: ``c.Read(buf)`` exactly).

        Blocks and raises as :meth:`read`.
        """
        fd = self._fd
        with fd.rmu:
            return fd.retry(False, lambda: fd.sock.recv_into(buf))

    def write(self, data: Buffer) -> int:
        """Write all of ``data``, blocking while the socket's buffer is full; return ``len(data)`` in bytes.

        Go: ``c.Write(b)``. Concurrent writes never interleave. Raises ClosedError,
        IOTimeoutError once the write deadline has passed, or the OSError of the system call
        (BrokenPipeError, ConnectionResetError). Unlike Go, which returns how many bytes were
        written with the error, a write that fails partway does not tell how much was sent.
        """
        fd = self._fd
        mu = fd.wmu
        mu.lock()
        try:
            with memoryview(data) as view, view.cast("B") as b:
                total = b.nbytes
                sent = 0
                while True:
                    fd.check(True)
                    try:
                        sent += fd.sock.send(b[sent:] if sent else b)
                    except BlockingIOError:
                        fd.wait(True)
                        continue
                    except InterruptedError:
                        continue
                    if sent == total:
                        return total
        finally:
            mu.unlock()

    def close(self) -> None:
        """Close the connection; goroutines blocked in it raise ClosedError (Go: ``c.Close()``).

        Idempotent, as Python's ``socket.close`` (Go's second Close returns ``net.ErrClosed``,
        which Go code ignores in ``defer c.Close()``).
        """
        self._fd.close()

    def close_read(self) -> None:
        """Shut down the reading side (Go: ``TCPConn.CloseRead``)."""
        self._shutdown(socket.SHUT_RD)

    def close_write(self) -> None:
        """Shut down the writing side: the peer reads EOF, and can still write (Go: ``TCPConn.CloseWrite``)."""
        self._shutdown(socket.SHUT_WR)

    def _shutdown(self, how: int) -> None:
        fd = self._fd
        if fd.closed:
            raise ClosedError(_ERR_CLOSED)
        fd.sock.shutdown(how)

    def local_addr(self) -> TCPAddr:
        """This end's address (Go: ``c.LocalAddr()``); still available after close."""
        return self._laddr

    def remote_addr(self) -> TCPAddr:
        """The peer's address (Go: ``c.RemoteAddr()``); still available after close."""
        return self._raddr

    def set_deadline(self, t: float | None) -> None:
        """Set the read and write deadlines (Go: ``c.SetDeadline(t)``); see :meth:`set_read_deadline`."""
        self._fd.set_deadline(t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """Reads fail with IOTimeoutError("i/o timeout") from ``t`` on (Go: ``c.SetReadDeadline(t)``).

        ``t`` is a time on the scheduler clock (``current_scheduler().clock() + 5.0`` for five
        seconds from now), or None for no deadline (Go's zero time). Applies to a read already
        blocked, too; a time in the past makes reads fail at once.
        """
        self._fd.set_deadline(t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """Writes fail with IOTimeoutError("i/o timeout") from ``t`` on (Go: ``c.SetWriteDeadline(t)``).

        As :meth:`set_read_deadline`, for writes.
        """
        self._fd.set_deadline(t, False, True)


# -- listeners -----------------------------------------------------------------------------------


@final
class Listener(_Socket):
    """A TCP listener (Go: ``net.Listener``, a ``*net.TCPListener``); ``with ln:`` closes it."""

    __slots__ = ("_fd", "_addr")

    def __init__(self, sock: socket.socket) -> None:
        """Adopt ``sock``, a listening TCP socket (Go: ``net.FileListener``, without the dup)."""
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            raise ValueError(f"net.Listener needs a TCP socket (AF_INET or AF_INET6, SOCK_STREAM), got {sock!r}")
        self._fd = _FD(sock)
        self._addr: Final = TCPAddr.from_sockaddr(sock.getsockname())

    def __repr__(self) -> str:
        state = " closed" if self._fd.closed else ""
        return f"<net.Listener {self._addr}{state}>"

    def accept(self) -> Conn:
        """Wait for the next connection and return it (Go: ``ln.Accept()``).

        Raises ClosedError once the listener is closed, also in a goroutine blocked here when
        another closes it (the usual way to stop a server), IOTimeoutError once the deadline has
        passed, or the OSError of the system call (``EMFILE`` when out of file descriptors).
        A connection reset before it was accepted is skipped, as in Go.
        """
        fd = self._fd
        mu = fd.rmu
        mu.lock()
        try:
            while True:
                fd.check(False)
                try:
                    sock, peer = fd.sock.accept()
                except BlockingIOError:
                    fd.wait(False)
                    continue
                except (InterruptedError, ConnectionAbortedError):
                    continue
                try:
                    return Conn._new(sock, peer)
                except BaseException:
                    sock.close()
                    raise
        finally:
            mu.unlock()

    def addr(self) -> TCPAddr:
        """The address the listener is bound to (Go: ``ln.Addr()``): the port chosen for port 0."""
        return self._addr

    def set_deadline(self, t: float | None) -> None:
        """Accepts fail with IOTimeoutError from ``t`` on (Go: ``TCPListener.SetDeadline``); None clears."""
        self._fd.set_deadline(t, True, False)

    def close(self) -> None:
        """Stop listening; goroutines blocked in accept raise ClosedError. Idempotent (Go: ``ln.Close()``)."""
        self._fd.close()


# -- addresses -------------------------------------------------------------------------------------


def split_host_port(hostport: str) -> tuple[str, str]:
    """Split ``"host:port"``, ``"[host]:port"`` or ``"[host%zone]:port"`` (Go: ``net.SplitHostPort``).

    Raises ValueError with Go's texts ("address x: missing port in address", ...).
    """

    def bad(why: str) -> ValueError:
        return ValueError(f"address {hostport}: {why}")

    i = hostport.rfind(":")
    if i < 0:
        raise bad("missing port in address")
    j = k = 0
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise bad("missing ']' in address")
        if end + 1 == len(hostport):
            raise bad("missing port in address")
        if end + 1 != i:
            raise bad("too many colons in address" if hostport[end + 1] == ":" else "missing port in address")
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise bad("too many colons in address")
    if "[" in hostport[j:]:
        raise bad("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise bad("unexpected ']' in address")
    return host, hostport[i + 1 :]


def join_host_port(host: str, port: str) -> str:
    """``"host:port"``, or ``"[host]:port"`` when host contains a colon (Go: ``net.JoinHostPort``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _family(network: str) -> int:
    try:
        return _FAMILIES[network]
    except KeyError:
        raise ValueError(f"unknown network {network}") from None


def _port(port: str) -> int:
    """A port number or service name as a number; "" is 0, as in Go."""
    if port == "":
        return 0
    if port.isascii() and port.isdigit():
        p = int(port)
        if p > 0xFFFF:
            raise ValueError(f"address {port}: invalid port")
        return p
    try:
        return socket.getservbyname(port, "tcp")
    except OSError:
        raise OSError(f"lookup tcp/{port}: unknown port") from None


def _resolve(family: int, host: str, port: int) -> list[tuple[int, SockAddr]]:
    """The socket addresses of ``host`` that suit ``family`` (AF_UNSPEC: any), resolver order.

    An IP literal is converted in place; a name is looked up on an OS thread (``to_thread``), so
    a slow resolver blocks only the calling goroutine.
    """
    ip, _, _ = host.partition("%")
    try:
        literal: int | None = socket.AF_INET if ipaddress.ip_address(ip).version == 4 else socket.AF_INET6
    except ValueError:
        literal = None
    if literal is not None and family not in (socket.AF_UNSPEC, literal):
        raise OSError(f"address {host}: no suitable address found")
    if literal is not None:
        infos = socket.getaddrinfo(host, port, literal, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_NUMERICHOST)
    else:
        infos = to_thread(socket.getaddrinfo, host, port, family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    addrs: list[tuple[int, SockAddr]] = [
        (fam, sa) for fam, _, _, _, sa in infos if fam in (socket.AF_INET, socket.AF_INET6) and isinstance(sa[0], str)
    ]
    if not addrs:
        raise OSError(f"address {host}: no suitable address found")
    return addrs


_backlog: int | None = None


def _max_backlog() -> int:
    """The kernel's accept-queue limit, as Go's maxListenerBacklog (capped to 16 bits for old kernels)."""
    global _backlog
    if _backlog is None:
        try:
            with open("/proc/sys/net/core/somaxconn") as f:
                _backlog = min(int(f.read().split()[0]), 0xFFFF)
        except (OSError, ValueError, IndexError):
            _backlog = socket.SOMAXCONN
    return _backlog


# -- listen and dial ------------------------------------------------------------------------------


def listen(network: str, address: str) -> Listener:
    """Listen on ``address`` (Go: ``net.Listen``); ``network`` is "tcp", "tcp4" or "tcp6".

    ``address`` is ``"host:port"`` as in Go; port 0 (or "") picks a free port (see
    :meth:`Listener.addr`). An empty host listens on every address: for "tcp" on a dual-stack
    socket (``[::]``, IPv4 too) where the system has one. A host name listens on one of its
    addresses, IPv4 first. The socket has SO_REUSEADDR and the kernel's largest backlog, as in Go.
    """
    family = _family(network)
    host, sport = split_host_port(address)
    port = _port(sport)
    v6only = network == "tcp6"
    fam: int
    sa: SockAddr
    if host == "":
        if family == socket.AF_INET6 or (family == socket.AF_UNSPEC and socket.has_dualstack_ipv6()):
            fam, sa = socket.AF_INET6, ("::", port)
        else:
            fam, sa = socket.AF_INET, ("0.0.0.0", port)
    else:
        addrs = _resolve(family, host, port)
        fam, sa = next((a for a in addrs if a[0] == socket.AF_INET), addrs[0])
    sock = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR lets another process steal the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
        sock.bind(sa)
        sock.listen(_max_backlog())
        return Listener(sock)
    except BaseException:
        sock.close()
        raise


def dial(network: str, address: str, timeout: float | None = None) -> Conn:
    """Connect to ``address`` (Go: ``net.Dial``, or ``net.DialTimeout`` given ``timeout``).

    ``network`` is "tcp", "tcp4" or "tcp6"; ``address`` is ``"host:port"``; an empty host is the
    local system. A name is resolved on an OS thread, and its addresses are tried in the
    resolver's order, each given a share of the time left as in Go (at least 2 s when there is
    that much); the first error is raised if none connects. ``timeout`` (seconds; None: no limit,
    other than the system's) bounds the connection attempts — a timeout of 0 or less fails at
    once — raising IOTimeoutError("i/o timeout"). Go also races IPv6 against IPv4 (Happy
    Eyeballs); this tries them one after another.
    """
    s = current_scheduler()
    deadline = None if timeout is None else s.clock() + timeout
    family = _family(network)
    host, sport = split_host_port(address)
    port = _port(sport)
    if host == "":
        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    addrs = _resolve(family, host, port)
    first: OSError | None = None
    for i, (fam, sa) in enumerate(addrs):
        try:
            return _dial_one(s, fam, sa, _partial_deadline(s.clock(), deadline, len(addrs) - i))
        except OSError as e:
            if first is None:
                first = e
    assert first is not None
    raise first


def _partial_deadline(now: float, deadline: float | None, left: int) -> float | None:
    """The deadline for one of ``left`` remaining addresses (Go: ``partialDeadline``)."""
    if deadline is None:
        return None
    remaining = deadline - now
    if remaining <= 0:
        raise IOTimeoutError(_ERR_TIMEOUT)
    share = remaining / left
    if share < _SANE_MINIMUM:
        share = min(remaining, _SANE_MINIMUM)
    return now + share


def _dial_one(s: Scheduler, fam: int, sa: SockAddr, deadline: float | None) -> Conn:
    """A non-blocking connect to ``sa``, parking until it completes (Go: ``netFD.connect``)."""
    sock = socket.socket(fam, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        err = sock.connect_ex(sa)
        while True:
            if err in _CONNECTING:
                if deadline is not None and s.clock() >= deadline:
                    raise IOTimeoutError(_ERR_TIMEOUT)
                if not s.wait_fd(sock.fileno(), True, deadline):
                    raise IOTimeoutError(_ERR_TIMEOUT)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                continue
            if err not in (0, errno.EISCONN):
                raise OSError(err, os.strerror(err))
            try:
                peer = sock.getpeername()  # a spurious wake-up leaves the socket unconnected
            except OSError as e:
                if e.errno != errno.ENOTCONN:
                    raise
                err = errno.EINPROGRESS
                continue
            return Conn._new(sock, peer)
    except BaseException:
        sock.close()
        raise
