"""CRI pods of a Kubernetes node, as containerd's CRI reports them to ocirt's own client.

- ocirt_test_pods: [{name, pod_namespace, containers}]: each pod's sandbox is ready and
  each listed container runs, per `python3 ocirt_test_agent pod ls --json` on the node (the
  node agent: RuntimeService ListPodSandbox/ListContainers through the library's CRI client)

Kernel modules and sysctls of the node are checked by test_containerd_node.py (profile
kubernetes-node); a pod's hostPort reached from the controller by test_workloads_node.py's
ocirt_test_http.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Dict, List, Optional


def _wrong(host: Any, agent: str, wanted: List[Dict[str, Any]]) -> Optional[str]:
    pods = json.loads(host.check_output("python3 %s pod ls --json", agent))
    wrong: List[str] = []
    for want in wanted:
        name, pod_ns = want["name"], want.get("pod_namespace", "default")
        found = [p for p in pods if p["name"] == name and p["pod_namespace"] == pod_ns]
        if not found:
            wrong.append(f"no pod {pod_ns}/{name}")
            continue
        wrong += [] if found[0]["state"] == "ready" else [f"pod {name} is {found[0]['state']}"]
        states = {c["name"]: c["state"] for c in found[0]["containers"]}
        wrong += [
            f"container {c} of {name} is {states.get(c, 'missing')}"
            for c in want["containers"]
            if states.get(c) != "running"
        ]
    return f"{wrong}; pods: {pods}" if wrong else None


def test_pods_ready(host: Any, declared: Any, eventually: Any) -> None:
    wanted = declared.need("ocirt_test_pods")
    agent = declared.need("ocirt_test_agent")
    wrong = eventually(functools.partial(_wrong, host, agent, wanted), 60)
    assert wrong is None, wrong
