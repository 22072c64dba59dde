#!/usr/bin/env python3
"""A git repository served by the controller to the scenarios' VMs (`git daemon`, git://).

    gitserver.py start DIR SEED_DIR   create DIR/state.git from SEED_DIR's files (once),
                                      start (or find running) git daemon; print JSON
    gitserver.py stop DIR             stop it and delete DIR

The daemon listens on 127.0.0.1:<free port>, read-only, and exports DIR/state.git as
git://<address>:<port>/state.git; a VM on QEMU's user network reaches it as 10.0.2.2:<port>
(QEMU maps 10.0.2.2 to the host's loopback). DIR keeps the bare repository, the daemon's
log and state.json ({"pid", "port"}), so a second `start` (converge run again, idempotence)
finds the same daemon on the same port and leaves the repository as it is (commits made to
it since stay). The first commit has a fixed author, committer and date: the same files give
the same commit id on every run. A test changes the repository by pushing to DIR/state.git
on the controller's file system, not through the daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = "state.git"
BRANCH = "main"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
IDENTITY = {
    "GIT_AUTHOR_NAME": "ocirt molecule",
    "GIT_AUTHOR_EMAIL": "molecule@ocirt.test",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "ocirt molecule",
    "GIT_COMMITTER_EMAIL": "molecule@ocirt.test",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def seed(workdir: Path, seed_dir: Path) -> bool:
    """Create the bare repository with one commit of SEED_DIR's files; False if it exists."""
    bare = workdir / REPO
    if (bare / "HEAD").exists():
        return False
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        work = Path(tmp)
        for src in sorted(p for p in seed_dir.iterdir() if p.is_file()):
            shutil.copyfile(src, work / src.name)
        _git("init", "-q", "-b", BRANCH, cwd=work)
        _git("add", "-A", cwd=work)
        _git("commit", "-q", "-m", f"Initial state from {seed_dir.name}", cwd=work)
        _git("clone", "-q", "--bare", str(work), str(bare), cwd=workdir)
    return True


def _alive(pid: int, workdir: Path) -> bool:
    try:
        cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "daemon" in cmd and f"--base-path={workdir}" in cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"git daemon exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"git daemon did not listen on 127.0.0.1:{port} within {START_TIMEOUT:.0f} s")


def _start_daemon(workdir: Path) -> dict:
    port = _free_port()
    log = workdir / "daemon.log"
    argv = [
        "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}",
        f"--base-path={workdir}", "--export-all", "--informative-errors", "--verbose",
        str(workdir),
    ]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )
    _wait_listening(port, proc, log)
    return {"pid": proc.pid, "port": port}


def start(workdir: Path, seed_dir: Path) -> int:
    seeded = seed(workdir, seed_dir)
    state_file = workdir / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {"pid": 0}
    started = not _alive(state["pid"], workdir)
    if started:
        state = _start_daemon(workdir)
        state_file.write_text(json.dumps(state))
    head = _git("rev-parse", BRANCH, cwd=workdir / REPO)
    print(
        json.dumps(
            {
                "changed": seeded or started,
                "port": state["port"],
                "repo": str(workdir / REPO),
                "path": f"/{REPO}",
                "branch": BRANCH,
                "head": head,
            }
        )
    )
    return 0


def stop(workdir: Path) -> int:
    state_file = workdir / "state.json"
    if state_file.exists():
        pid = json.loads(state_file.read_text())["pid"]
        if _alive(pid, workdir):
            # the daemon leads its own process group (start_new_session): its children
            # serving a fetch right now go with it
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while _alive(pid, workdir) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid, workdir):
                os.killpg(pid, signal.SIGKILL)
            print(f"stopped git daemon pid {pid}", file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    if not argv or (argv[0], len(argv)) not in (("start", 3), ("stop", 2)):
        print(__doc__, file=sys.stderr)
        return 2
    workdir = Path(argv[1]).resolve()
    if argv[0] == "start":
        return start(workdir, Path(argv[2]).resolve())
    return stop(workdir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
