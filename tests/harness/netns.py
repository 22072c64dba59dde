"""A network namespace owned by a test, so that bridges, veths and iptables rules made by
CNI plugins never reach the machine's own network.

Made with util-linux ``unshare --net=FILE`` (not the library's own code, which is what is
tested), pinned under a temporary directory, with ``lo`` up; everything inside goes when
the namespace is unpinned (the kernel deletes its interfaces and its iptables tables).
``run(...)`` runs a command inside it with ``nsenter --net``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Optional


class TestNetns:
    def __init__(self, parent: str = "/tmp") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ocirt-netns-", dir=parent))
        self.path = str(self.dir / "host")
        Path(self.path).touch()
        subprocess.run(["unshare", f"--net={self.path}", "true"], check=True, timeout=30)
        self.run("ip", "link", "set", "lo", "up")

    def argv(self, *argv: str) -> list:
        return ["nsenter", f"--net={self.path}", "--", *argv]

    def run(
        self, *argv: str, check: bool = True, timeout: float = 60, input: Optional[str] = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv(*argv),
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    def iptables_save(self) -> str:
        return self.run("iptables-save").stdout

    def links(self) -> str:
        return self.run("ip", "-o", "link").stdout

    def http_get(self, url: str, timeout: float = 10) -> str:
        """The body at ``url``, fetched from inside the namespace (python's urllib)."""
        code = (
            "import sys, urllib.request;"
            f"sys.stdout.write(urllib.request.urlopen({url!r}, timeout={timeout}).read().decode())"
        )
        return self.run("python3", "-c", code, timeout=timeout + 10).stdout

    def close(self) -> None:
        subprocess.run(["umount", "-l", self.path], capture_output=True, check=False)
        for name in os.listdir(self.dir):
            try:
                os.unlink(self.dir / name)
            except OSError:
                pass
        try:
            self.dir.rmdir()
        except OSError:
            pass
