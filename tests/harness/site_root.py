"""site.yml on this machine under a temporary root: the extra vars that point everything
the play manages there (config.toml, socket, root/state, certs.d, CNI, crictl.yaml, pid and
log files, the demo image archive), so the machine's own containerd is never touched, and
the clean-up of the daemon the play started and of the containers it ran. Used by the role
tests, bench/converge.py and bench/fleet.py (one root per simulated node)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List

from ansible_collections.ocirt.containerd.plugins.module_utils.common import procfs

from harness.util import unmount_all_under


def site_extra_vars(root: Path, namespace: str) -> Dict[str, Any]:
    return {
        "workloads_namespace": namespace,
        "demo_image_archive": str(root / "demo-image.tar"),
        "containerd_config_path": str(root / "etc" / "config.toml"),
        "containerd_address": str(root / "c.sock"),
        "containerd_root_dir": str(root / "root"),
        "containerd_state_dir": str(root / "state"),
        "containerd_registry_config_path": str(root / "etc" / "certs.d"),
        "containerd_cni_conf_dir": str(root / "cni" / "net.d"),
        "containerd_crictl_config_path": str(root / "etc" / "crictl.yaml"),
        "containerd_service_pid_file": str(root / "run" / "containerd.pid"),
        "containerd_service_log_file": str(root / "log" / "containerd.log"),
        "containerd_config_settings": {
            "plugins": {
                "io.containerd.nri.v1.nri": {"disable": True},  # its socket is machine-wide
                "io.containerd.internal.v1.opt": {"path": str(root / "opt")},
            }
        },
        "workloads_address": str(root / "c.sock"),
        "workloads_registry_config_path": str(root / "etc" / "certs.d"),
        "workloads_archive_dir": str(root / "archives"),
    }


def remove_containers(ctr: List[str]) -> None:
    """Kill and delete the play's containers while its daemon still runs (a killed shim
    would leave the container's processes and runc's machine-wide state behind)."""
    for cid in subprocess.run(
        [*ctr, "containers", "ls", "-q"], capture_output=True, text=True
    ).stdout.split():
        subprocess.run([*ctr, "task", "kill", "-s", "SIGKILL", cid], capture_output=True)
        subprocess.run([*ctr, "task", "rm", "-f", cid], capture_output=True)
        subprocess.run([*ctr, "containers", "rm", cid], capture_output=True)


@contextmanager
def site_root(parent: str = "/tmp") -> Iterator[Path]:
    """A temporary root under ``parent`` (short: socket paths), and afterwards the daemon
    the play started stopped, the shims that outlive it killed, mounts undone, the root
    removed."""
    path = Path(tempfile.mkdtemp(prefix="ocirt-role-", dir=parent))
    try:
        yield path
    finally:
        pid_file = path / "run" / "containerd.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text())
            if procfs.alive(pid):
                os.kill(pid, signal.SIGTERM)
                procfs.terminate(pid, 10)
        _kill_leftovers(str(path))
        unmount_all_under(str(path))
        shutil.rmtree(path, ignore_errors=True)


def _kill_leftovers(root: str) -> None:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if root in cmdline:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
