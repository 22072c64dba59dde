"""`ocirt apply` / `ocirt diff` and the state module on a whole document, against the
private containerd: 20 containers converged, then left alone (same pids); one edited entry
found by diff (exit 2, that entry and that field) and recreated alone; prune removing only
the unlisted container of the group; an invalid document reported whole and changing
nothing; the state module in check mode, then for real, then again without change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from harness.ansible_runner import run_module
from harness.images import write_oci_archive

OCIRT = str(Path(sys.executable).parent / "ocirt")
IMAGE = "example.test/state/busybox:1"


@pytest.fixture
def ns(containerd, containerd_namespace, busybox, tmp_path):
    """A namespace with the busybox image imported (so no registry is needed)."""
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=containerd_namespace)
    yield containerd_namespace
    shutil.rmtree(Path("/var/log/ocirt") / containerd_namespace, ignore_errors=True)


def ocirt(containerd, ns, *args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    env.update(CONTAINERD_ADDRESS=containerd.address, CONTAINERD_NAMESPACE=ns)
    return subprocess.run(
        [OCIRT, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def document(count: int, group: str = "web", **edits: Dict[str, Any]) -> Dict[str, Any]:
    containers = []
    for i in range(count):
        entry = {"name": f"c{i:02d}", "image": IMAGE, "command": ["sleep", "3600"]}
        entry.update(edits.get(entry["name"], {}))
        containers.append(entry)
    return {"group": group, "containers": containers}


def pids(containerd, ns) -> Dict[str, str]:
    rows = containerd.ctr("task", "ls", namespace=ns).stdout.splitlines()[1:]
    return {r.split()[0]: r.split()[1] for r in rows if "RUNNING" in r}


def changed_entries(report: Dict[str, Any]) -> List[Any]:
    return [
        (e["kind"], e["name"], e["change"], e["reason"]) for e in report["entries"] if e["changed"]
    ]


def test_twenty_containers_converge_then_one_edit_is_found_and_recreated_alone(
    containerd, ns, tmp_path
):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document(20)))
    first = ocirt(containerd, ns, "apply", "-f", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("container c") == 20 and "create (container does not exist)" in (
        first.stdout
    )
    before = pids(containerd, ns)
    assert sorted(before) == [f"c{i:02d}" for i in range(20)]

    drift = ocirt(containerd, ns, "diff", "-f", str(path))
    assert (drift.returncode, drift.stdout) == (
        0,
        "nothing to do: all 20 entries are as declared\n",
    )
    again = ocirt(containerd, ns, "apply", "-f", "-", "--json", stdin=path.read_text())
    report = json.loads(again.stdout)
    assert again.returncode == 0 and report["changed"] is False
    assert report["counts"] == {"changed": 0, "unchanged": 20} and report["actions"] == []
    assert pids(containerd, ns) == before

    path.write_text(json.dumps(document(20, c07={"memory": "64m"})))
    found = ocirt(containerd, ns, "diff", "-f", str(path))
    assert found.returncode == 2, found.stderr
    assert found.stdout.splitlines() == [
        "container c07: recreate (configuration differs: memory)",
        "19 entries unchanged",
    ]
    shown = ocirt(containerd, ns, "apply", "--check", "--diff", "-f", str(path))
    assert shown.returncode == 2 and '+    "memory": 67108864' in shown.stdout
    done = ocirt(containerd, ns, "apply", "-f", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert changed_entries(json.loads(done.stdout)) == [
        ("container", "c07", "recreate", "configuration differs: memory")
    ]
    after = pids(containerd, ns)
    assert after["c07"] != before["c07"]
    assert {k: v for k, v in after.items() if k != "c07"} == {
        k: v for k, v in before.items() if k != "c07"
    }


def test_prune_removes_only_the_unlisted_container_of_the_group(containerd, ns, tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document(3)))
    assert ocirt(containerd, ns, "apply", "-f", str(path)).returncode == 0
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "group": "db",
                "containers": [{"name": "db", "image": IMAGE, "command": ["sleep", "3600"]}],
            }
        )
    )
    assert ocirt(containerd, ns, "apply", "-f", str(other)).returncode == 0
    run = ocirt(containerd, ns, "run", "-d", "--name", "loose", IMAGE, "sleep", "3600")
    assert run.returncode == 0, run.stderr
    containerd.ctr("run", "-d", IMAGE, "foreign", "sleep", "3600", namespace=ns)
    before = pids(containerd, ns)

    path.write_text(json.dumps(document(2)))  # c02 is no longer listed
    kept = ocirt(containerd, ns, "diff", "-f", str(path))
    assert (kept.returncode, kept.stdout) == (0, "nothing to do: all 2 entries are as declared\n")
    found = ocirt(containerd, ns, "diff", "--prune", "-f", str(path))
    assert found.returncode == 2 and found.stdout.splitlines() == [
        "container c02: remove (not listed in group web)",
        "2 entries unchanged",
    ]
    pruned = ocirt(containerd, ns, "apply", "--prune", "-f", str(path), "--json")
    assert pruned.returncode == 0, pruned.stderr
    assert changed_entries(json.loads(pruned.stdout)) == [
        ("container", "c02", "remove", "not listed in group web")
    ]
    assert pids(containerd, ns) == {k: v for k, v in before.items() if k != "c02"}
    assert "c02" not in containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.split()


def test_a_document_with_three_errors_names_all_three_and_changes_nothing(containerd, ns, tmp_path):
    bad = {
        "containers": [
            {"name": "a", "image": IMAGE, "memory": "lots"},
            {"name": "b", "image": IMAGE, "restart_policy": "sometimes"},
            {"name": "c", "image": IMAGE, "colour": "blue"},
        ]
    }
    text = "containers:\n" + "".join(
        f"  - {json.dumps(entry)}\n" for entry in bad["containers"]
    )  # YAML, read from standard input
    out = ocirt(containerd, ns, "apply", "-f", "-", stdin=text)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines[0] == "ocirt: the state document has 3 errors, nothing was changed:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "containers[0].memory",
        "containers[1].restart_policy",
        "containers[2]",
    ]
    assert "unknown key(s) colour; allowed: name, state," in lines[3]
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""


def test_state_module_check_then_real_then_unchanged(containerd, ns):
    args = {
        "address": containerd.address,
        "namespace": ns,
        "registry_config_path": "/nonexistent",
        "state": {
            "group": "mod",
            "images": [{"name": IMAGE, "password": "hunter2-not-shown", "username": "u"}],
            "containers": document(2)["containers"],
        },
    }
    predicted = run_module("ocirt.containerd.state", check=True, diff=True, **args)
    assert predicted["changed"] is True, predicted
    assert [e["name"] for e in predicted["entries"] if e["changed"]] == ["c00", "c01"]
    assert [d["after_header"] for d in predicted["diff"]] == [
        "container c00 (after)",
        "container c01 (after)",
    ]
    assert pids(containerd, ns) == {}
    done = run_module("ocirt.containerd.state", **args)
    assert done["changed"] is True and sorted(pids(containerd, ns)) == ["c00", "c01"]
    running = pids(containerd, ns)
    again = run_module("ocirt.containerd.state", diff=True, **args)
    assert again["changed"] is False and again["counts"] == {"changed": 0, "unchanged": 3}
    assert again["diff"] == [] and pids(containerd, ns) == running
    assert "hunter2-not-shown" not in json.dumps([predicted, done, again])
    bad = run_module("ocirt.containerd.state", **{**args, "state": {"containers": [{"name": 1}]}})
    assert bad["failed"] is True and "containers[0].image: required" in bad["msg"]
