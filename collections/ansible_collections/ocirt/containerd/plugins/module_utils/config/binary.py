"""Asking the installed containerd binary: its version, `config default`, `config migrate`
and `config dump` (the loader containerd itself runs at start-up).

The binary is a path so that tests and unusual installs can point at any containerd; by
default it is the one found on PATH (plus the sbin directories root usually has).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import List, Optional, Protocol, Tuple

from ..common.defaults import SYSTEM_PATH
from ..common.errors import ContainerdBinaryError

SEARCH_PATH = SYSTEM_PATH
TIMEOUT = 60.0

Version = Tuple[int, int, int]


def parse_version(output: str) -> Version:
    """(1, 6, 20) from `containerd --version` output such as
    'containerd <module path> 1.6.20~ds1 1.6.20~ds1-1+deb12u3'."""
    m = re.search(r"\sv?(\d+)\.(\d+)\.(\d+)", " " + output)
    if not m:
        raise ContainerdBinaryError(f"cannot read a containerd version from {output!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def find_binary(path: Optional[str] = None) -> str:
    """The containerd binary to use: ``path`` if given, else `containerd` on PATH."""
    if path:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ContainerdBinaryError(f"containerd_binary {path} is not an executable file")
        return path
    search = os.environ.get("PATH", "") + os.pathsep + SEARCH_PATH
    found = shutil.which("containerd", path=search)
    if not found:
        raise ContainerdBinaryError(
            "no containerd binary found on PATH; install containerd, set containerd_binary, "
            "or set config_version explicitly (validation by containerd is then skipped)"
        )
    return found


class Containerd(Protocol):
    """What the config planner asks of a containerd: a binary here, recorded answers in tests."""

    path: str
    version: Version

    @property
    def version_string(self) -> str: ...

    @property
    def can_migrate(self) -> bool: ...

    def config_default(self) -> str: ...

    def migrate(self, config_path: str) -> str: ...

    def dump(self, config_path: str) -> subprocess.CompletedProcess: ...


class ContainerdBinary:
    """One containerd executable and what it says about configuration files."""

    def __init__(self, path: str, timeout: float = TIMEOUT):
        self.path = path
        self.timeout = timeout
        out = self._run(["--version"]).stdout
        self.version_output = out.strip()
        self.version: Version = parse_version(out)

    @property
    def version_string(self) -> str:
        return ".".join(str(n) for n in self.version)

    def _run(self, args: List[str], check: bool = True) -> subprocess.CompletedProcess:
        # CONTAINERD_* variables (e.g. CONTAINERD_ADDRESS) must not change what is loaded
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
        try:
            r = subprocess.run(
                [self.path, *args],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
                env=env,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ContainerdBinaryError(f"running {self.path} {' '.join(args)}: {exc}") from None
        if check and r.returncode != 0:
            raise ContainerdBinaryError(
                f"{self.path} {' '.join(args)} failed ({r.returncode}): {message_of(r)}"
            )
        return r

    @property
    def can_migrate(self) -> bool:
        return self.version[0] >= 2

    def config_default(self) -> str:
        return self._run(["config", "default"]).stdout

    def migrate(self, config_path: str) -> str:
        """The file at config_path as containerd 2.x rewrites it in its own schema."""
        if not self.can_migrate:
            raise ContainerdBinaryError(
                f"containerd {self.version_string} has no `config migrate` (2.0 and later)"
            )
        return self._run(["--config", config_path, "config", "migrate"]).stdout

    def dump(self, config_path: str) -> subprocess.CompletedProcess:
        """`containerd --config PATH config dump`, not raising: callers read rc/stderr."""
        return self._run(["--config", config_path, "config", "dump"], check=False)


def message_of(result: subprocess.CompletedProcess) -> str:
    """containerd's own error text: the `containerd: ...` line, else the last lines."""
    text = (result.stderr or "") + (result.stdout or "" if result.returncode else "")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("containerd: "):
            return line[len("containerd: ") :]
    return " | ".join(lines[-3:]) or f"exit status {result.returncode}"
