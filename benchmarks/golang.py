"""Go as a peer: write ``gobench.go`` into a temp dir, build it once, run it per measurement.

Building once and running the binary (rather than ``go run`` per measurement) keeps the compile
out of every measurement while still giving each one a fresh process, as for the Python
libraries. Standard library only, with ``GOPROXY=off``: the build never touches the network.
No ``go`` on PATH, or a failed build, makes Go a skipped peer with the reason, never an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GoPeer", "build", "prepare"]

SOURCE = Path(__file__).with_name("gobench.go")
BUILD_TIMEOUT_S = 300


@dataclass(frozen=True)
class GoPeer:
    """A built Go benchmark, or why there is none (``binary`` None and ``reason`` set)."""

    binary: Path | None
    version: str | None
    reason: str | None

    def command(self, shape: str, params: dict[str, float | int]) -> list[str]:
        assert self.binary is not None, self.reason
        return [str(self.binary), shape, json.dumps(params)]


def _env() -> dict[str, str]:
    return {**os.environ, "GOPROXY": "off", "GOTOOLCHAIN": "local", "GO111MODULE": "off", "GOFLAGS": ""}


def build(source: Path, workdir: Path, name: str) -> tuple[Path | None, str]:
    """Build the one-file Go program ``source`` as ``workdir/name``: (the binary, "") or (None, why not).

    The benchmark groups with a Go peer (this module's suite, patterns, jobs) all build this way.
    """
    go = shutil.which("go")
    if go is None:
        return None, "not installed (no `go` on PATH)"
    (workdir / "main.go").write_text(source.read_text())
    try:
        built = subprocess.run(
            [go, "build", "-o", name, "main.go"],
            cwd=workdir, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, env=_env(), check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"go toolchain failed: {e}"
    if built.returncode != 0:
        return None, "go build failed: " + " ".join(built.stderr.strip().splitlines()[-3:])
    return workdir / name, ""


def prepare(workdir: Path) -> GoPeer:
    """Build the Go program in ``workdir`` (which must outlive the measurements)."""
    binary, why = build(SOURCE, workdir, "gobench")
    if binary is None:
        return GoPeer(None, None, why)
    try:
        version = subprocess.run(
            ["go", "version"], capture_output=True, text=True, timeout=60, env=_env(), check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return GoPeer(None, None, f"go toolchain failed: {e}")
    return GoPeer(binary, version, None)
