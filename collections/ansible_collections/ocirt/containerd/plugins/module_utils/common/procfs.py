"""Processes by pid, from /proc: alive or not, when they started, what they run, and an
identity that outlives pid reuse (which process made a lease or a snapshot, and whether it is
gone). The daemon, its shims and ocirt run on the same machine, so /proc is the truth."""

from __future__ import annotations

import os
import signal
import time
from typing import List, Optional, Tuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> Optional[List[str]]:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # comm may hold spaces and parentheses: split after the last ')'
    return text[text.rfind(")") + 2 :].split()


def alive(pid: Optional[int]) -> bool:
    """Running (a zombie counts as gone)."""
    if not pid:
        return False
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def cmdline(pid: int) -> List[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def executable(pid: int) -> Optional[str]:
    """The binary's path; ends in ' (deleted)' when the file was replaced since the start."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def start_ticks(pid: int) -> Optional[str]:
    """When ``pid`` started, in clock ticks since boot (field 22 of its stat); None if gone.
    With the boot id it names one process for good, even after its pid is reused."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def started_at(pid: int) -> Optional[float]:
    """Start time as a Unix timestamp (clock-tick resolution).

    Placed on the wall clock through CLOCK_BOOTTIME now, not through /proc/stat's btime,
    which is truncated to the second and puts starts up to a second early.
    """
    ticks = start_ticks(pid)
    if ticks is None:
        return None
    since_boot = int(ticks) / CLOCK_TICKS
    return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot)


def _boot_and_pid_namespace() -> Tuple[str, str]:
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    return boot, os.readlink("/proc/self/ns/pid").split(":", 1)[-1].strip("[]")


def identity_of(pid: int) -> str:
    """ "<boot id> <pid namespace> <pid> <start ticks>": process ``pid`` and no other, even
    after pid reuse or a reboot."""
    try:
        boot, pidns = _boot_and_pid_namespace()
    except OSError:
        return "unknown"
    return f"{boot} {pidns} {pid} {start_ticks(pid)}"


def owner_identity() -> str:
    """identity_of this process: what ocirt labels the leases and snapshots it makes with."""
    return identity_of(os.getpid())


def owner_gone(owner: str) -> bool:
    """True when the process ``owner`` surely no longer exists: another boot, or the same
    pid namespace without that process. Anything else (another pid namespace, say ocirt in
    a container sharing the socket) cannot be judged."""
    parts = owner.split()
    try:
        boot, pidns = _boot_and_pid_namespace()
    except OSError:
        return False
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    if parts[0] != boot:
        return True
    return parts[1] == pidns and start_ticks(int(parts[2])) != parts[3]


def terminate(pid: int, timeout: float) -> bool:
    """SIGTERM, wait up to timeout, then SIGKILL; whether it had to be killed."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return False
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True
