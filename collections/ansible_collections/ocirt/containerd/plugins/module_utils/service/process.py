"""Processes by pid: alive or not, when they started, what they run (from /proc)."""

from __future__ import annotations

import os
import signal
import time
from typing import List, Optional

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


def started_at(pid: int) -> Optional[float]:
    """Start time as a Unix timestamp (clock-tick resolution)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    try:
        with open("/proc/stat") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    return btime + int(fields[19]) / CLOCK_TICKS


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
