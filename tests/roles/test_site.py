"""site.yml, the reference deployment, on this machine twice: the second run changes nothing.

Everything the play manages is pointed under a temporary root by extra vars (config.toml,
socket, root/state, certs.d, CNI, crictl.yaml, pid and log files, the demo image archive), so
the machine's own containerd is not touched; containerd comes from the machine's Debian
packages (install method `package`, nothing to install here) and runs detached (PID 1 is
not systemd).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess

from harness.ansible_runner import REPO, run_playbook_file


def _remove_containers(ctr: list) -> None:
    """Kill and delete the play's containers while its daemon still runs (a killed shim
    would leave the container's processes and runc's machine-wide state behind)."""
    for cid in subprocess.run(
        [*ctr, "containers", "ls", "-q"], capture_output=True, text=True
    ).stdout.split():
        subprocess.run([*ctr, "task", "kill", "-s", "SIGKILL", cid], capture_output=True)
        subprocess.run([*ctr, "task", "rm", "-f", cid], capture_output=True)
        subprocess.run([*ctr, "containers", "rm", cid], capture_output=True)


def test_site_converges_then_changes_nothing(root):
    namespace = f"ocirt-site-{secrets.token_hex(4)}"  # runc's state dir is machine-wide
    extra = {
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
    extra_file = root / "extra.json"
    extra_file.write_text(json.dumps(extra))
    inventory = REPO / "inventory" / "local.yml"

    ctr = ["/usr/bin/ctr", "--address", str(root / "c.sock"), "--namespace", namespace]
    try:
        _converge_twice(root, extra_file, inventory, ctr)
    finally:
        _remove_containers(ctr)
        shutil.rmtree(f"/run/containerd/runc/{namespace}", ignore_errors=True)


def _converge_twice(root, extra_file, inventory, ctr) -> None:
    first, out = run_playbook_file(REPO / "site.yml", extra_file, inventory)
    assert first["failed"] == 0 and first["changed"] >= 5, out

    tasks = subprocess.run([*ctr, "task", "ls"], capture_output=True, text=True, check=True)
    assert any(
        line.split()[0] == "ocirt-demo" and line.split()[-1] == "RUNNING"
        for line in tasks.stdout.splitlines()[1:]
    ), tasks.stdout
    images = subprocess.run(
        [*ctr, "images", "ls", "-q"], capture_output=True, text=True, check=True
    )
    assert images.stdout.split() == ["demo.ocirt.local/busybox:1"]

    second, out = run_playbook_file(REPO / "site.yml", extra_file, inventory)
    assert second["changed"] == 0 and second["failed"] == 0, out
    again = subprocess.run([*ctr, "task", "ls"], capture_output=True, text=True, check=True)
    assert again.stdout == tasks.stdout  # same pid: nothing was restarted
