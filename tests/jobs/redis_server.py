"""A real ``redis-server`` for the tests: on a free loopback port, in a temporary directory, with
``appendonly yes`` (``appendfsync everysec``, Redis's default, or ``always``: every acknowledged write
is on disk before the reply, so even ``kill -9`` of the server loses nothing acknowledged).

``RedisServer`` starts, stops and restarts one; ``shared()`` is the one the conformance suite's
store factory uses (started at its first use, stopped at the end of the test session).
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

SERVER = shutil.which("redis-server")
MISSING = "redis-server is not installed: .ci/run installs it (apt-get install redis-server)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process; ``url`` reaches it (with the password, if any)."""

    def __init__(
        self, directory: Path, *, password: str | None = None, policy: str = "noeviction", fsync: str = "everysec"
    ) -> None:
        assert SERVER is not None, MISSING
        self.dir = directory
        self.port = free_port()
        self.password = password
        self.policy = policy
        self.fsync = fsync
        self.proc: subprocess.Popen[bytes] | None = None
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        args = [
            str(SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
            "--appendonly", "yes", "--appendfsync", self.fsync, "--save", "", "--maxmemory-policy", self.policy,
            "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, password=self.password)
        deadline = time.monotonic() + 30.0
        while True:
            try:
                client.ping()
                break
            except (redis.ConnectionError, redis.exceptions.BusyLoadingError):
                assert self.proc.poll() is None, (self.dir / "redis.log").read_text()
                assert time.monotonic() < deadline, "redis-server did not start in time"
                time.sleep(0.01)
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis-server flushes the AOF and exits
            self.proc.wait(30)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


_shared: RedisServer | None = None


def shared() -> RedisServer:
    """The session's server for the store factories (each store gets a prefix of its own)."""
    global _shared
    if _shared is None:
        d = Path(tempfile.mkdtemp(prefix="gochan-redis-"))
        _shared = RedisServer(d)
        atexit.register(_stop_shared, d)
    return _shared


def _stop_shared(d: Path) -> None:
    if _shared is not None:
        _shared.stop()
    shutil.rmtree(d, ignore_errors=True)
