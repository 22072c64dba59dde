"""A pod in a state document, through `ocirt apply` and `ocirt diff`, against the private
CRI-enabled containerd: applied once, then nothing to do with the same sandbox, then
removed by the document that declares it absent."""

from __future__ import annotations

import json

from ansible_collections.ocirt.containerd.plugins.module_utils.cri import sandboxes
from cli.test_ocirt_cli import ocirt

from pods.conftest import BUSYBOX


def _document(name: str, state: str) -> str:
    pod = {"name": name, "network": "host", "state": state}
    if state != "absent":
        pod["containers"] = [{"name": "app", "image": BUSYBOX, "command": ["sleep", "600"]}]
    return json.dumps({"pods": [pod]})


def _sandboxes(cri_conn, name: str) -> list:
    found = sandboxes.list_pod_sandboxes(cri_conn)
    return [s["id"] for s in found if (s["metadata"] or {}).get("name") == name]


def test_a_document_runs_its_pod_once(cri, cri_conn, pod_name, tmp_path):
    env = {"CONTAINERD_ADDRESS": cri.address}

    def state(verb: str, document: str, *flags: str):
        path = tmp_path / "state.json"
        path.write_text(document)
        return ocirt(verb, "-f", str(path), *flags, env=env)

    applied = state("apply", _document(pod_name, "started"), "--json")
    assert applied.returncode == 0, applied.stderr
    entries = json.loads(applied.stdout)["entries"]
    assert [(e["kind"], e["name"], e["change"]) for e in entries] == [
        ("pod", f"default/{pod_name}", "create")
    ]
    made = _sandboxes(cri_conn, pod_name)
    assert len(made) == 1
    again = state("diff", _document(pod_name, "started"))
    assert (again.returncode, again.stderr) == (0, ""), again
    assert _sandboxes(cri_conn, pod_name) == made
    gone = state("apply", _document(pod_name, "absent"))
    assert gone.returncode == 0 and f"pod k8s.io/default/{pod_name}: remove" in gone.stdout, gone
    assert _sandboxes(cri_conn, pod_name) == []
