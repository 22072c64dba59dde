"""The containerd role passes every typed option of ocirt.containerd.config through.

The role's config task (tasks/config.yml, with the role's defaults and vars) runs in a play
of its own, every option of the module's table set in ``containerd_config_options``, against
a temporary config.toml and the series' containerd binary (no daemon: the play brings its
own "Restart containerd" handler). containerd's own ``config dump`` of the result must show
each value, so an option the role drops (as it once dropped grpc_uid/grpc_gid) fails here;
an option added to the table without a sample below fails too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.config.options import (
    CONFIG_OPTIONS,
)
from harness.ansible_runner import BIN, MARKER, REPO, ansible_env
from harness.daemon import ensure_containerd
from harness.plugin import selected_series

ROLE = REPO / "collections/ansible_collections/ocirt/containerd/roles/containerd"


def samples(root: Path) -> Dict[str, Any]:
    """A value for every option of the table (not containerd's defaults)."""
    return {
        "systemd_cgroup": True,
        "sandbox_image": "registry.test/pause:passthrough",
        "snapshotter": "native",
        "default_runtime": "crun",
        "runtimes": {"crun": {"runtime_type": "io.containerd.runc.v2",
                              "binary": "/usr/local/bin/crun"}},
        "registry_config_path": str(root / "certs.d"),
        "max_container_log_line_size": 65536,
        "root_dir": str(root / "root"),
        "state_dir": str(root / "state"),
        "grpc_address": str(root / "c.sock"),
        "grpc_uid": 1000,
        "grpc_gid": 1001,
        "debug_level": "warn",
        "disabled_plugins": ["io.containerd.snapshotter.v1.devmapper"],
        "cni_bin_dir": str(root / "cni" / "bin"),
        "cni_conf_dir": str(root / "cni" / "net.d"),
        "enable_cdi": True,
        "oom_score": -321,
        "metrics_address": "127.0.0.1:13381",
        "imports": [str(root / "extra.toml")],
    }


def run_play(play: Dict[str, Any], path: Path) -> List[Dict[str, Any]]:
    """ansible-playbook on one play; each task's result (the harness's callback lines)."""
    path.write_text(json.dumps([play]))  # JSON is YAML
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), str(path)],
        capture_output=True, text=True, env=ansible_env(), cwd=REPO,
        stdin=subprocess.DEVNULL, timeout=300,
    )
    results = [json.loads(line[len(MARKER):])["result"] for line in proc.stdout.splitlines()
               if line.startswith(MARKER)]
    assert results, f"{proc.stdout}\n{proc.stderr}"
    return results


@pytest.mark.parametrize("series", selected_series())
def test_every_config_option_passes_through_the_role(tmp_path, series):
    binary = ensure_containerd(series) / "containerd"
    schema = 2 if series.startswith("1.") else 3
    (tmp_path / "extra.toml").write_text(f"version = {schema}\n")
    options = samples(tmp_path)
    assert sorted(options) == sorted(CONFIG_OPTIONS.names()), "a table option has no sample"
    if series == "1.6":
        options.pop("enable_cdi")  # refused there: 1.6 would ignore it
    tasks = [
        {
            "name": "the role's config task",
            "ansible.builtin.import_tasks": str(ROLE / "tasks" / "config.yml"),
            "vars": {
                "containerd_profile": "kubernetes-node",
                "containerd_config_path": str(tmp_path / "config.toml"),
                "containerd_binary": str(binary),
                "containerd_config_options": options,
            },
        }
    ]
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
        "handlers": [{"name": "Restart containerd", "ansible.builtin.meta": "noop"}],
        "tasks": tasks,
    }
    (result,) = run_play(play, tmp_path / "play.json")
    assert result.get("failed") is False, result
    assert result["effective_source"] == "containerd config dump"
    effective = result["effective"]
    for name, value in options.items():
        if name == "runtimes":
            assert effective[name]["crun"]["runtime_type"] == value["crun"]["runtime_type"]
            assert effective[name]["crun"]["options"]["BinaryName"] == value["crun"]["binary"]
            continue
        assert effective[name] == value, f"{name} did not reach config.toml through the role"
