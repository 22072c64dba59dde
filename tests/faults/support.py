"""What the daemon-fault tests share: how to kill containerd, and what "converged" means."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import List, Tuple

from harness.daemon import ContainerdDaemon
from harness.util import wait_for

#: Bound for anything a fault test waits for; generous, the machine is shared.
BOUND = 120


def sigkill(daemon: ContainerdDaemon) -> None:
    """SIGKILL containerd (not its shims) and reap it, as a crash would leave things."""
    assert daemon.proc is not None
    daemon.proc.kill()
    daemon.proc.wait(timeout=BOUND)


def ended(proc: subprocess.Popen, timeout: float = BOUND) -> Tuple[str, str]:
    """The process's (stdout, stderr) once it exits; killed, and the test failed, if it
    is still running after ``timeout`` (a hang must not outlive the test)."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"{proc.args} still running after {timeout} s: it hangs") from None


def start_again(daemon: ContainerdDaemon) -> None:
    """Start the killed daemon on the same root; first make sure the kill (maybe issued from
    another thread) has been reaped, or the harness would take it for still running."""
    if daemon.proc is not None:
        daemon.proc.wait(timeout=BOUND)
    daemon.start()


def ocirt_leases(daemon: ContainerdDaemon, ns: str) -> List[str]:
    """`ctr leases ls` lines of the leases ocirt made (they carry ocirt.owner)."""
    out = daemon.ctr("leases", "ls", namespace=ns).stdout
    return [line for line in out.splitlines()[1:] if "ocirt.owner=" in line]


def ingest_files(daemon: ContainerdDaemon) -> List[str]:
    ingest = Path(daemon.root) / "io.containerd.content.v1.content" / "ingest"
    return sorted(os.listdir(ingest)) if ingest.is_dir() else []


def extract_snapshots(daemon: ContainerdDaemon, ns: str) -> List[str]:
    out = daemon.ctr("snapshots", "ls", namespace=ns).stdout
    return [line for line in out.splitlines()[1:] if line.startswith("extract-")]


def collect_garbage(daemon: ContainerdDaemon, ns: str) -> None:
    """Have containerd collect garbage now (deleting a lease with --sync runs the GC and
    waits for it): its scheduler otherwise runs only after enough mutations, so what no
    lease holds any more may stay for a while, and the check would wait on the scheduler."""
    lease = daemon.ctr("leases", "create", namespace=ns).stdout.split()[-1]
    daemon.ctr("leases", "delete", "--sync", lease, namespace=ns)


def assert_converged(daemon: ContainerdDaemon, ns: str, ref: str) -> None:
    """The image is complete and unpacked; no ocirt lease, active ingest, ingest file or
    half-unpacked snapshot is left (GC is asynchronous: waited for, bounded)."""
    check = daemon.ctr("images", "check", namespace=ns).stdout
    line = next((x for x in check.splitlines() if x.startswith(ref)), "")
    assert re.search(r"\bcomplete\b", line) and line.split()[-1] == "true", check
    assert ocirt_leases(daemon, ns) == []
    collect_garbage(daemon, ns)
    wait_for(
        lambda: (
            not extract_snapshots(daemon, ns)
            and not ingest_files(daemon)
            and not daemon.ctr("content", "active", namespace=ns).stdout.splitlines()[1:]
        ),
        timeout=BOUND,
        interval=0.5,
        what="garbage collection of ingests and unpack snapshots",
    )
