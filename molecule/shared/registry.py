#!/usr/bin/env python3
"""A plain-HTTP image registry on the controller for the scenarios' VMs (Debian's
docker-registry, run by tests/harness/registry.py), with the registry image pushed to it.

    registry.py start DIR [REPOSITORY:TAG]   start (or find running) and push; print JSON
    registry.py stop DIR                     stop it and delete DIR

It listens on 127.0.0.1:<free port>; a VM on QEMU's user network reaches it as
10.0.2.2:<port> (QEMU maps 10.0.2.2 to the host's loopback). DIR keeps its config, storage,
log and state.json ({"pid", "port"}), so a second `start` (converge run again, idempotence)
finds the same registry on the same port. The image is busybox-static plus a small layer
(/etc/ocirt/source = "registry"), the same bytes on every run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness.images import File, busybox_image, push
from harness.registry import Registry

DEFAULT_REF = "ocirt/busybox:1"


def _alive(pid: int, config: Path) -> bool:
    try:
        cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return str(config) in cmd


def registry_image():
    base = busybox_image()
    extra = {"etc/ocirt/source": File(b"registry\n")}
    return base.replace(layers=[*base.layers, extra])


def start(workdir: Path, ref: str) -> int:
    state = workdir / "state.json"
    reg = Registry(workdir=workdir)
    changed = False
    if state.exists():
        s = json.loads(state.read_text())
        if _alive(s["pid"], reg.config_path):
            reg.port, reg.host, reg.url = (
                s["port"],
                f"127.0.0.1:{s['port']}",
                f"http://127.0.0.1:{s['port']}",
            )
        else:
            state.unlink()
    if not state.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        reg.start()
        state.write_text(json.dumps({"pid": reg.proc.pid, "port": reg.port}))
        changed = True
    repo, tag = ref.rsplit(":", 1)
    digest = push(reg, repo, tag, registry_image())
    print(
        json.dumps(
            {"changed": changed, "port": reg.port, "host": reg.host, "ref": ref, "digest": digest}
        )
    )
    return 0


def stop(workdir: Path) -> int:
    state = workdir / "state.json"
    if state.exists():
        s = json.loads(state.read_text())
        if _alive(s["pid"], workdir / "config.yml"):
            os.kill(s["pid"], signal.SIGTERM)
            for _ in range(50):
                if not _alive(s["pid"], workdir / "config.yml"):
                    break
                time.sleep(0.1)
            else:
                os.kill(s["pid"], signal.SIGKILL)
            print(f"stopped registry pid {s['pid']}", file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    workdir = Path(argv[1]).resolve()
    if argv[0] == "start":
        return start(workdir, argv[2] if len(argv) > 2 else DEFAULT_REF)
    return stop(workdir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
