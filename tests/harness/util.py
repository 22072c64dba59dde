"""Small helpers shared by the harness modules."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """The project cache (OCIRT_CACHE, default <repo>/.cache)."""
    return Path(os.environ.get("OCIRT_CACHE") or REPO_ROOT / ".cache")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on host."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    interval: float = 0.05,
    what: str = "condition",
) -> None:
    """Poll predicate until it returns true; TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def tail_file(path: Path, n: int = 40) -> str:
    """The last n lines of a text file ('' if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read()
    except OSError:
        return ""
    lines = data.decode("utf-8", "replace").splitlines()
    return "\n".join(lines[-n:])


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, wait up to timeout, then SIGKILL; reaps the process."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def proc_cmdlines() -> Iterable[tuple[int, list[str]]]:
    """(pid, argv) for every process visible in /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if raw:
            yield int(entry), [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def children_of(pid: int) -> list[int]:
    """Direct children of pid (via /proc/<pid>/task/*/children, else a /proc scan)."""
    kids: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            try:
                kids.extend(int(x) for x in (task / "children").read_text().split())
            except OSError:
                continue
        return kids
    except OSError:
        return kids


def pid_alive(pid: int) -> bool:
    """Whether pid exists and is not a zombie (orphans are reaped by PID 1, maybe late)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kill_tree(pid: int) -> None:
    """SIGKILL pid and all its descendants (children first collected, then killed)."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children_of(p))
    for p in seen:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def mounts_under(prefix: str) -> list[str]:
    """Mount points at or below prefix, deepest first (from /proc/self/mountinfo)."""
    prefix = prefix.rstrip("/")
    points = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        if len(fields) < 5:
            continue
        mp = fields[4].encode().decode("unicode_escape")
        if mp == prefix or mp.startswith(prefix + "/"):
            points.append(mp)
    return sorted(set(points), key=lambda p: (-p.count("/"), p))


def cgroup_mounts() -> list[str]:
    """Mount points of all cgroup (v1) and cgroup2 hierarchies."""
    points = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        pre, _, post = line.partition(" - ")
        fstype = post.split()[0] if post else ""
        if fstype in ("cgroup", "cgroup2"):
            points.append(pre.split()[4])
    return points


def remove_cgroups(*relative: str) -> None:
    """rmdir <hierarchy>/<relative> in every cgroup hierarchy, in the order given; only
    empty cgroups go away (rmdir fails on a cgroup with tasks or children)."""
    for mp in cgroup_mounts():
        for rel in relative:
            try:
                os.rmdir(os.path.join(mp, rel.strip("/")))
            except OSError:
                pass


def unmount_all_under(prefix: str) -> list[str]:
    """Lazily unmount everything at or below prefix; returns what was unmounted."""
    done = []
    for _ in range(3):
        points = mounts_under(prefix)
        if not points:
            break
        for mp in points:
            r = subprocess.run(["umount", "-l", mp], capture_output=True, check=False)
            if r.returncode == 0:
                done.append(mp)
    return done


def run(
    argv: list[str],
    check: bool = True,
    timeout: Optional[float] = 120,
    env: Optional[dict] = None,
    input: Optional[str] = None,
) -> subprocess.CompletedProcess:
    """subprocess.run in text mode with captured output; CalledProcessError shows stderr."""
    r = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        check=False,
    )
    if check and r.returncode != 0:
        raise CommandError(r)
    return r


class CommandError(subprocess.CalledProcessError):
    """CalledProcessError whose str() includes stdout and stderr."""

    def __init__(self, r: subprocess.CompletedProcess):
        super().__init__(r.returncode, r.args, r.stdout, r.stderr)

    def __str__(self) -> str:
        return (
            f"command {' '.join(map(str, self.cmd))!r} exited {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )
