"""module_defaults for group/ocirt.containerd.containerd reach every module of the group.

Issue 16, defect 10: setting namespace or registry_config_path for the group made the
modules without those options fail with "Unsupported parameters". Every module now takes
the shared connection options (address, timeout, namespace, registry_config_path), using
them where they mean something and ignoring them where they do not.
"""

from pathlib import Path

import pytest
import yaml
from harness.ansible_runner import run_playbook
from harness.images import write_oci_archive

RUNTIME = (
    Path(__file__).resolve().parents[2]
    / "collections/ansible_collections/ocirt/containerd/meta/runtime.yml"
)


def _group_modules():
    return yaml.safe_load(RUNTIME.read_text())["action_groups"]["containerd"]


def _read_only_calls(containerd, tmp_path):
    """One read-only or check-mode call per module, with no connection option of its own."""
    return {
        "config": {"path": str(tmp_path / "config.toml"), "validate": False},
        "container": {"name": "no-such-container", "state": "absent"},
        "container_exec": {"name": "no-such-container", "command": ["true"]},
        "container_info": {},
        "containers": {"containers": [], "group": "defaults-test"},
        "image": {"name": "example.test/not-here:1", "state": "absent"},
        "image_info": {},
        "info": {},
        "install": {},
        "namespace": {"name": "default"},
        "network": {"name": "defaults-test-net", "state": "absent"},
        "pod": {"name": "no-such-pod", "state": "absent"},
        "pod_info": {},
        "registry": {"host": "registry.test:5000", "server": "https://registry.test:5000"},
        "service": {
            "binary": str(containerd.containerd_bin),
            "config_path": str(containerd.config_path),
            "pid_file": str(tmp_path / "containerd.pid"),
            "log_file": str(tmp_path / "containerd.log"),
            "manager": "detached",
        },
        "state": {"state": {"containers": []}},
    }


# One series: the options are checked by Ansible before any containerd call, and what the
# modules then do per series is covered by their own tests.
@pytest.mark.containerd_series("2.1")
def test_group_module_defaults_reach_every_module(
    containerd, containerd_namespace, busybox, tmp_path
):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/bb:1")
    containerd.ctr("images", "import", str(archive), namespace=ns)
    hosts_dir = tmp_path / "certs.d"
    calls = _read_only_calls(containerd, tmp_path)
    modules = _group_modules()
    assert sorted(calls) == sorted(modules)  # a new module of the group needs a call here

    tasks = [
        {
            "name": name,
            f"ocirt.containerd.{name}": args,
            "check_mode": name != "container_exec",  # it has no check mode
            "ignore_errors": name == "container_exec",
            "diff": name == "config",
        }
        for name, args in calls.items()
    ]
    block = {
        "module_defaults": {
            "group/ocirt.containerd.containerd": {
                "address": containerd.address,
                "timeout": 20,
                "namespace": ns,
                "registry_config_path": str(hosts_dir),
            }
        },
        "block": tasks,
    }
    results = dict(zip(calls, run_playbook([block])))

    for name, result in results.items():
        assert "Unsupported parameters" not in str(result.get("msg", "")), (name, result)
    for name in set(results) - {"container_exec"}:
        assert not result_failed(results[name]), (name, results[name])
    # the defaults were used: the gRPC modules reached this daemon in this namespace ...
    assert [i["name"] for i in results["image_info"]["images"]] == ["example.test/bb:1"]
    assert results["info"]["version"].startswith(containerd.version)
    # ... container_exec looked for its container there (and found none) ...
    assert results["container_exec"]["failed"] is True
    assert "no-such-container" in results["container_exec"]["msg"]
    # ... the registry module would write into registry_config_path, and the config module
    # would point containerd's CRI at it
    assert results["registry"]["path"] == str(hosts_dir / "registry.test:5000" / "hosts.toml")
    assert results["config"]["changed"] is True
    assert f'config_path = "{hosts_dir}"' in results["config"]["diff"]["after"]
    assert not hosts_dir.exists() and not (tmp_path / "config.toml").exists()  # check mode


def result_failed(result):
    return bool(result.get("failed"))
