"""The simulated nodes of bench/fleet.py: one private containerd per node, each in a network
namespace of its own and under a root of its own, started together and torn down with
everything they made; and the check that nothing of a run is left on the machine.

A node's root is the reference deployment's temporary root (tests/harness/site_root.py):
the workloads role writes its archives there, the node's containerd (config, root, state,
sockets, log) and its network namespace live below it, and its clean-up kills whatever
still runs from it, undoes its mounts and removes it. Every node uses a containerd
namespace of its own, because runc keeps container state machine-wide
(/run/containerd/runc/<namespace>/<id>) and cgroups are named the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.daemon import (  # noqa: E402
    RUNC_DEFAULT_ROOT,
    SHIM_SOCKET_DIR,
    ContainerdDaemon,
)
from harness.netns import TestNetns  # noqa: E402
from harness.site_root import remove_containers, site_extra_vars, site_root  # noqa: E402
from harness.util import cgroup_mounts, mounts_under, proc_cmdlines  # noqa: E402

#: The variables of the workloads role that say where a node keeps its things.
WORKLOAD_PLACES = (
    "workloads_namespace",
    "workloads_address",
    "workloads_registry_config_path",
    "workloads_archive_dir",
)
STARTERS = 4  # daemons started at once (each start waits for `ctr version`)


@dataclass
class Node:
    name: str
    root: Path
    netns: TestNetns
    daemon: ContainerdDaemon
    namespace: str

    def host_vars(self) -> Dict[str, Any]:
        """Its inventory entry: local connection, its own containerd address and root."""
        places = site_extra_vars(self.root, self.namespace)
        host = {key: places[key] for key in WORKLOAD_PLACES}
        host["workloads_address"] = self.daemon.address
        host["ansible_connection"] = "local"
        host["ansible_python_interpreter"] = "{{ ansible_playbook_python }}"
        return host

    def running(self, container: str) -> bool:
        r = self.daemon.ctr("tasks", "ls", namespace=self.namespace, check=False, timeout=20)
        return any(
            line.split()[0] == container and line.split()[-1] == "RUNNING"
            for line in r.stdout.splitlines()[1:]
            if line.split()
        )

    def remove_containers(self) -> None:
        """Its containers gone while its daemon runs (restart_policy: always would start a
        killed task again; a killed shim would leave runc's machine-wide state behind)."""
        if self.daemon.running:
            ctr = [str(self.daemon.ctr_bin), "--address", self.daemon.address]
            remove_containers([*ctr, "--namespace", self.namespace])


def open_fleet(
    stack: contextlib.ExitStack, parent: Path, count: int, series: str, label: str
) -> List[Node]:
    """count nodes, their daemons running; all torn down when ``stack`` closes."""
    nodes = [_node(stack, parent, i, series, label) for i in range(1, count + 1)]
    with ThreadPoolExecutor(STARTERS) as pool:
        list(pool.map(lambda n: n.daemon.start(), nodes))
    return nodes


def _node(stack: contextlib.ExitStack, parent: Path, index: int, series: str, label: str) -> Node:
    root = stack.enter_context(site_root(str(parent)))  # closed last: sweeps the rest
    netns = TestNetns(parent=str(root))
    stack.callback(netns.close)
    daemon = ContainerdDaemon(series, log_level="info", tmp_parent=str(root), netns=netns.path)
    stack.callback(daemon.stop)
    node = Node(f"node{index:02d}", root, netns, daemon, f"{label}-{index:02d}")
    stack.callback(node.remove_containers)  # first of the node's clean-ups
    return node


def ip_netns_list() -> str:
    return subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=False, timeout=30
    ).stdout


@dataclass
class Trace:
    """What a run made outside its own directory, to look for after the teardown."""

    namespaces: List[str]
    shim_keys: List[str]  # <address>/<namespace>/<container>: the shim socket's name

    def add(self, nodes: List[Node], containers: List[str]) -> None:
        for n in nodes:
            self.namespaces.append(n.namespace)
            self.shim_keys += [os.path.join(n.daemon.address, n.namespace, c) for c in containers]


def leftovers(parent: Path, trace: Trace, netns_before: str) -> List[str]:
    """Everything of the run still on the machine: its directory, processes started from it
    (daemons, shims, `pgrep containerd`), mounts (overlays, the pinned network namespaces),
    runc state, cgroups and shim sockets of its containers, new `ip netns list` entries."""
    found = [f"directory {parent}"] if parent.exists() else []
    found += [
        f"process {pid}: {' '.join(argv)}"
        for pid, argv in proc_cmdlines()
        if pid != os.getpid() and any(str(parent) in a for a in argv)
    ]
    found += [f"mount {m}" for m in mounts_under(str(parent))]
    for ns in trace.namespaces:
        if (RUNC_DEFAULT_ROOT / ns).exists():
            found.append(f"runc state {RUNC_DEFAULT_ROOT / ns}")
        found += [f"cgroup {m}/{ns}" for m in cgroup_mounts() if os.path.isdir(f"{m}/{ns}")]
    for key in trace.shim_keys:
        sock = SHIM_SOCKET_DIR / hashlib.sha256(key.encode()).hexdigest()
        if sock.exists():
            found.append(f"shim socket {sock} ({key})")
    after = ip_netns_list()
    if after != netns_before:
        found.append(f"ip netns list was {netns_before!r}, now {after!r}")
    return found
