"""site.yml, the reference deployment, on this machine twice: the second run changes nothing.

Everything the play manages is pointed under a temporary root by extra vars
(harness/site_root.py), so the machine's own containerd is not touched; containerd comes
from the machine's Debian packages (install method `package`, nothing to install here) and
runs detached (PID 1 is not systemd).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess

from harness.ansible_runner import REPO, run_playbook_file
from harness.site_root import remove_containers, site_extra_vars


def test_site_converges_then_changes_nothing(root):
    namespace = f"ocirt-site-{secrets.token_hex(4)}"  # runc's state dir is machine-wide
    extra = site_extra_vars(root, namespace)
    extra_file = root / "extra.json"
    extra_file.write_text(json.dumps(extra))
    inventory = REPO / "inventory" / "local.yml"

    ctr = ["/usr/bin/ctr", "--address", str(root / "c.sock"), "--namespace", namespace]
    try:
        _converge_twice(root, extra_file, inventory, ctr)
    finally:
        remove_containers(ctr)
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
