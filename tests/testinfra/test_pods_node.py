"""CRI pods of a Kubernetes node, as containerd's CRI reports them to ocirt's own client.

- ocirt_test_pods: [{name, pod_namespace, containers}]: each pod's sandbox is ready and
  each listed container runs, per `python3 ocirt_test_agent pod ls --json` on the node (the
  node agent: RuntimeService ListPodSandbox/ListContainers through the library's CRI client)

Kernel modules and sysctls of the node are checked by test_containerd_node.py (profile
kubernetes-node); a pod's hostPort reached from the controller by test_workloads_node.py's
ocirt_test_http.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List


def _pods(host: Any, agent: str) -> List[Dict[str, Any]]:
    return json.loads(host.check_output("python3 %s pod ls --json", agent))


def _wrong(pods: List[Dict[str, Any]], want: Dict[str, Any]) -> List[str]:
    name, pod_ns = want["name"], want.get("pod_namespace", "default")
    found = [p for p in pods if p["name"] == name and p["pod_namespace"] == pod_ns]
    if not found:
        return [f"no pod {pod_ns}/{name} among {[p['name'] for p in pods]}"]
    pod = found[0]
    wrong = [] if pod["state"] == "ready" else [f"pod {name} is {pod['state']}"]
    states = {c["name"]: c["state"] for c in pod["containers"]}
    wrong += [
        f"container {c} of {name} is {states.get(c, 'missing')}"
        for c in want["containers"]
        if states.get(c) != "running"
    ]
    return wrong


def test_pods_ready(host: Any, declared: Any) -> None:
    wanted = declared.need("ocirt_test_pods")
    agent = declared.need("ocirt_test_agent")
    deadline = time.monotonic() + 60
    while True:
        pods = _pods(host, agent)
        wrong = [w for want in wanted for w in _wrong(pods, want)]
        if not wrong or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert not wrong, f"{wrong}; pods: {pods}"
