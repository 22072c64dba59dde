"""ocirt.containerd.pod and pod_info through Ansible: check mode predicts, a second run is
changed=0 with the same container ids, one changed env recreates that container alone,
pod_info reports the pod, a bad value is refused naming the option; absent removes it."""

from __future__ import annotations

from typing import Any, Dict

from harness.ansible_runner import run_module, run_playbook

from .conftest import BUSYBOX


def _args(cri: Any, name: str, tmp_path: Any, mode: str) -> Dict[str, Any]:
    return {
        "address": cri.address,
        "name": name,
        "network": "host",
        "log_directory": str(tmp_path / "logs"),
        "containers": [
            {
                "name": "app",
                "image": BUSYBOX,
                "command": ["sh", "-c", "echo hello $MODE; exec sleep 3600"],
                "env": {"MODE": mode},
            },
            {"name": "side", "image": BUSYBOX, "command": ["sleep", "3600"]},
        ],
    }


def _ids(result: Dict[str, Any]) -> Dict[str, str]:
    return {c["name"]: c["id"] for c in result["pod"]["containers"]}


def test_pod_module_is_idempotent_and_recreates_one_container(cri, pod_name, tmp_path):
    args = _args(cri, pod_name, tmp_path, "one")
    predicted = run_module("ocirt.containerd.pod", check=True, diff=True, **args)
    assert predicted["changed"] is True, predicted
    assert predicted["pod"] is None and predicted["diff"]["before"] == {}
    done = run_module("ocirt.containerd.pod", **args)
    assert done["changed"] is True, done
    assert done["actions"] == predicted["actions"]
    assert done["pod"]["state"] == "ready"
    assert {c["state"] for c in done["pod"]["containers"]} == {"running"}

    changed_env = _args(cri, pod_name, tmp_path, "two")
    results = run_playbook(
        [
            {"name": "again", "ocirt.containerd.pod": args},
            {"name": "env", "ocirt.containerd.pod": changed_env},
            {
                "name": "info",
                "ocirt.containerd.pod_info": {
                    "address": cri.address,
                    "name": pod_name,
                    "stats": True,
                    "log_lines": 5,
                },
            },
            {
                "name": "bad",
                "ocirt.containerd.pod": {**args, "network": "bridge"},
                "ignore_errors": True,
            },
        ]
    )
    again, env, info, bad = results
    assert bad["failed"] and "network" in bad["msg"] and "pod, host" in bad["msg"], bad
    assert again["changed"] is False and again["actions"] == [], again
    assert _ids(again) == _ids(done)
    assert [a["target"] for a in env["actions"]] == ["app"] * 3, env
    assert _ids(env)["side"] == _ids(done)["side"] and _ids(env)["app"] != _ids(done)["app"]
    (pod,) = info["pods"]
    assert pod["managed"] is True and pod["network"] == "host"
    app = next(c for c in pod["containers"] if c["name"] == "app")
    assert app["state"] == "running" and app["stats"]["memory_working_set_bytes"] > 0

    gone = run_module(
        "ocirt.containerd.pod", address=cri.address, name=pod_name, state="absent", diff=True
    )
    assert gone["changed"] is True and gone["pod"] is None
    assert run_module("ocirt.containerd.pod_info", address=cri.address, name=pod_name)["pods"] == []
