"""The pod reconciler against a real CRI (containerd's own, on its socket), host network:
two containers run, idempotent reruns, one container recreated alone, stop, absent; ctr
sees what the CRI made; logs, exec and stats through the library."""

from __future__ import annotations

import time
from typing import Any, Dict, List

from ansible_collections.ocirt.containerd.plugins.module_utils.api.cri import runtime_version
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import (
    containers,
    log_format,
    sandboxes,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import stats as cri_stats
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import desired as pod_desired
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import reconciler, report
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .conftest import BUSYBOX


def _pod(name: str, tmp_path: Any, mode: str = "one", state: str = "started") -> Dict[str, Any]:
    return {
        "name": name,
        "pod_namespace": "ocirt-test",
        "state": state,
        "network": "host",
        "log_directory": str(tmp_path / "logs"),
        "labels": {"app": name},
        "containers": [
            {
                "name": "app",
                "image": BUSYBOX,
                "command": ["sh", "-c", 'echo "started with $MODE"; exec sleep 3600'],
                "env": {"MODE": mode},
            },
            {"name": "side", "image": BUSYBOX, "command": ["sleep", "3600"]},
        ],
    }


def _converge(conn: Connection, options: Dict[str, Any]) -> Any:
    planned = reconciler.plan(conn, pod_desired.from_options(options))
    applied = reconciler.apply(conn, planned) if planned.changed else None
    return planned, applied


def _running_ids(conn: Connection, sandbox_id: str) -> Dict[str, str]:
    return {
        c["metadata"]["name"]: c["id"]
        for c in containers.list_containers(conn, sandbox_id=sandbox_id)
        if c["state"] == 1
    }


def _ctr_ids(cri: Any) -> List[str]:
    return cri.ctr("containers", "ls", "-q", namespace="k8s.io").stdout.split()


def _wait_for_log(path: str, text: str) -> List[str]:
    deadline = time.monotonic() + 10
    lines: List[str] = []
    while time.monotonic() < deadline:
        lines = [line["text"] for line in log_format.read_log(path)]
        if text in lines:
            return lines
        time.sleep(0.1)
    return lines


def test_cri_v1_answers(cri_conn: Connection) -> None:
    version = runtime_version(cri_conn)
    assert version is not None and version["runtime_name"] == "containerd"


def test_pod_lifecycle(cri, cri_conn: Connection, pod_name: str, tmp_path) -> None:
    first, applied = _converge(cri_conn, _pod(pod_name, tmp_path))
    kinds = [a.kind for a in first.actions]
    assert kinds == ["run_pod"] + ["create_container", "start_container"] * 2
    sandbox_id = applied.details["sandbox_id"]
    listed = [s for s in sandboxes.list_pod_sandboxes(cri_conn) if s["id"] == sandbox_id]
    assert listed and listed[0]["state"] == 0 and listed[0]["labels"]["app"] == pod_name
    ids = _running_ids(cri_conn, sandbox_id)
    assert sorted(ids) == ["app", "side"]
    out = containers.exec_sync(cri_conn, ids["app"], ["sh", "-c", "echo $MODE; id -u"])
    assert (out["exit_code"], out["stdout"]) == (0, b"one\n0\n")
    failed = containers.exec_sync(cri_conn, ids["side"], ["sh", "-c", "exit 3"])
    assert failed["exit_code"] == 3  # an answer, not an error

    # ctr, containerd's own client, sees the sandbox and both containers in k8s.io
    assert {sandbox_id, *ids.values()} <= set(_ctr_ids(cri))
    info = cri.ctr("containers", "info", ids["app"], namespace="k8s.io").stdout
    assert '"io.cri-containerd.kind": "container"' in info

    # the log file is in the CRI format and read back whole
    app = report.container_report(cri_conn, ids["app"], with_stats=True, log_lines=5)
    assert app["log_path"] == str(tmp_path / "logs" / "app.log")
    assert "started with one" in _wait_for_log(app["log_path"], "started with one")
    usage = {u["name"]: u for u in cri_stats.list_container_stats(cri_conn, sandbox_id)}
    assert usage["app"]["memory_working_set_bytes"] > 0

    # the same declaration again: nothing is done, nothing restarts
    again, _ = _converge(cri_conn, _pod(pod_name, tmp_path))
    assert again.actions == [] and again.noop_reason
    assert _running_ids(cri_conn, sandbox_id) == ids

    # one container's env changes: that container alone is recreated
    changed, _ = _converge(cri_conn, _pod(pod_name, tmp_path, mode="two"))
    assert [(a.kind, a.target) for a in changed.actions] == [
        ("remove_container", "app"),
        ("create_container", "app"),
        ("start_container", "app"),
    ]
    assert "envs" in changed.actions[0].reason
    now = _running_ids(cri_conn, sandbox_id)
    assert now["side"] == ids["side"] and now["app"] != ids["app"]
    out = containers.exec_sync(cri_conn, now["app"], ["sh", "-c", "echo $MODE"])
    assert out["stdout"] == b"two\n"

    # the pod survives a containerd restart, and is still as declared
    cri.restart()
    after_restart, _ = _converge(cri_conn, _pod(pod_name, tmp_path, mode="two"))
    assert after_restart.actions == [] and _running_ids(cri_conn, sandbox_id) == now

    # stopped, then absent
    stopped, _ = _converge(cri_conn, _pod(pod_name, tmp_path, mode="two", state="stopped"))
    assert [a.kind for a in stopped.actions] == ["stop_pod"]
    assert sandboxes.pod_sandbox_status(cri_conn, sandbox_id)["status"]["state"] == 1
    still, _ = _converge(cri_conn, _pod(pod_name, tmp_path, mode="two", state="stopped"))
    assert still.actions == []
    gone, _ = _converge(
        cri_conn, {"name": pod_name, "pod_namespace": "ocirt-test", "state": "absent"}
    )
    assert [a.kind for a in gone.actions] == ["remove_pod"]
    assert report.list_pods(cri_conn, name=pod_name) == []
    assert not {sandbox_id, *now.values()} & set(_ctr_ids(cri))
