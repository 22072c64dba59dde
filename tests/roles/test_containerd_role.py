"""The ocirt.containerd.containerd role through ansible-playbook on this machine (PID 1 is
not systemd: the service runs detached), against a temporary root: install prefix, manifest,
config.toml, socket, root/state dirs, certs.d, CNI dirs, crictl.yaml, pid and log file are
all role variables pointed under one temporary directory, so the machine's containerd is
never touched. Kernel modules and sysctls are switched off (they would change this
machine's kernel settings); the install uses the archive method (apt is tested in
tests/install with the machine's real packages).

Run 1 installs containerd 1.7 and starts it; run 2 changes nothing; run 3 upgrades to 2.1:
config.toml is migrated to version 3 with SystemdCgroup kept, the handler restarts the
daemon once and it answers 2.1; run 4 changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Dict

from ansible_collections.ocirt.containerd.plugins.module_utils.common import procfs
from harness.ansible_runner import run_playbook_file


def _play(role_vars: Dict[str, Any], path: Path) -> Path:
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": role_vars,
            "roles": ["ocirt.containerd.containerd"],
        }
    ]
    path.write_text(json.dumps(play))
    return path


def _vars(root: Path, releases, series: str) -> Dict[str, Any]:
    return {
        "containerd_profile": "kubernetes-node",
        "containerd_kernel_modules_enabled": False,
        "containerd_sysctl_enabled": False,
        "containerd_install_method": "archive",
        "containerd_archives": {
            "containerd": releases[f"containerd_{series}"].arg(),
            "runc": releases["runc"].arg(),
            "cni_plugins": releases["cni_plugins"].arg(),
        },
        "containerd_install_prefix": str(root / "usr"),
        "containerd_install_manifest_path": str(root / "lib" / "install.json"),
        "containerd_cni_bin_dir": str(root / "cni" / "bin"),
        "containerd_cni_conf_dir": str(root / "cni" / "net.d"),
        "containerd_cni_default_conflist": True,
        "containerd_config_path": str(root / "etc" / "config.toml"),
        "containerd_address": str(root / "c.sock"),
        "containerd_root_dir": str(root / "root"),
        "containerd_state_dir": str(root / "state"),
        "containerd_registry_config_path": str(root / "etc" / "certs.d"),
        "containerd_config_settings": {
            "plugins": {
                "io.containerd.nri.v1.nri": {"disable": True},  # its socket is machine-wide
                "io.containerd.internal.v1.opt": {"path": str(root / "opt")},
            }
        },
        "containerd_registries": [
            {
                "host": "registry.test:5000",
                "server": "http://registry.test:5000",
                "mirrors": [{"url": "http://127.0.0.1:5001", "capabilities": ["pull", "resolve"]}],
            }
        ],
        "containerd_crictl_config_path": str(root / "etc" / "crictl.yaml"),
        "containerd_service_pid_file": str(root / "run" / "containerd.pid"),
        "containerd_service_log_file": str(root / "log" / "containerd.log"),
        "containerd_service_wait_timeout": 30,
        "containerd_verify_version": series,
    }


def _daemon_version(root: Path) -> str:
    pid = int((root / "run" / "containerd.pid").read_text())
    exe = os.readlink(f"/proc/{pid}/exe")
    return subprocess.run(
        [exe.replace(" (deleted)", ""), "--version"], capture_output=True, text=True, check=True
    ).stdout


def test_role_twice_then_upgrade(root, releases):
    pb17 = _play(_vars(root, releases, "1.7"), root / "play17.json")
    first, out = run_playbook_file(pb17)
    assert first["failed"] == 0 and first["changed"] >= 6, out
    pid = int((root / "run" / "containerd.pid").read_text())
    assert procfs.alive(pid)
    config = (root / "etc" / "config.toml").read_text()
    assert re.search(r"^version = 2$", config, re.M) and "SystemdCgroup = true" in config
    assert "RUNNING HANDLER [ocirt.containerd.containerd : Restart containerd]" in out
    assert (root / "etc" / "crictl.yaml").read_text().splitlines()[1] == (
        f"runtime-endpoint: unix://{root / 'c.sock'}"
    )
    assert (
        json.loads((root / "cni" / "net.d" / "10-ocirt-bridge.conflist").read_text())["plugins"][0][
            "type"
        ]
        == "bridge"
    )
    assert (root / "etc" / "certs.d" / "registry.test:5000" / "hosts.toml").exists()
    assert (root / "cni" / "bin" / "bridge").exists() and (root / "usr" / "sbin" / "runc").exists()

    second, out = run_playbook_file(pb17)
    assert second["changed"] == 0 and second["failed"] == 0, out
    assert int((root / "run" / "containerd.pid").read_text()) == pid  # not restarted
    assert "RUNNING HANDLER" not in out

    pb21 = _play(_vars(root, releases, "2.1"), root / "play21.json")
    upgrade, out = run_playbook_file(pb21)
    assert upgrade["failed"] == 0 and upgrade["changed"] >= 2, out
    new_pid = int((root / "run" / "containerd.pid").read_text())
    assert new_pid != pid and not procfs.alive(pid) and procfs.alive(new_pid)
    assert out.count("RUNNING HANDLER [ocirt.containerd.containerd : Restart containerd]") == 1
    assert releases["containerd_2.1"].version in _daemon_version(root)
    config = (root / "etc" / "config.toml").read_text()
    assert re.search(r"^version = 3$", config, re.M)
    assert re.search(
        r"\[plugins\.'io\.containerd\.cri\.v1\.runtime'\.containerd\.runtimes\.runc\.options\]"
        r"[^\[]*SystemdCgroup = true",
        config,
    ), config

    again, out = run_playbook_file(pb21)
    assert again["changed"] == 0 and again["failed"] == 0, out
    assert int((root / "run" / "containerd.pid").read_text()) == new_pid
