"""A fleet of simulated nodes converged by Ansible: what a run costs per node, and how it grows.

For each size N of ``--nodes`` (20 by default; ``--nodes 5,10,20`` runs several sizes in one
run) and each of two ways, a fleet of N nodes is started: N private containerds, each in a
network namespace of its own and under a root of its own (bench/fleet_nodes.py), and an
inventory of N hosts (local connection, each with its own containerd address, namespace and
archive directory). Then, with ``--forks`` (10), the reference deployment's workloads are
converged on all of them:

- role: the workloads part of site.yml, the ``ocirt.containerd.workloads`` role with the
  variables of group_vars/all.yml (the demo image copied from the controller and imported,
  the demo container running; the role's state task does both);
- state: the same images and containers as one ``ocirt.containerd.state`` task per node
  (the archive read where the controller built it).

Timed: the start of the N daemons, the first converge and the no-op rerun (median of
``--rounds``), each checked (the demo container running on every node, the rerun changing
nothing). Per-node cost: wall time / N, and the slope of wall time against N over the sizes
run (what one node more adds). One table at the end. Everything (daemons, shims, network
namespaces, mounts, temporary directories) is torn down after each fleet, on an error and on
Ctrl-C, and the run checks that nothing is left.

    .venv/bin/python bench/fleet.py [--nodes 5,10,20] [--forks 10] [--rounds 1] [--series 1.6]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_nodes import REPO, Trace, ip_netns_list, leftovers, open_fleet
from harness.ansible_runner import BIN, ansible_env
from harness.util import unmount_all_under

WAYS = {
    "role": "workloads role",
    "state": "state module, 1 task",
}
Recap = Dict[str, Dict[str, int]]  # host -> {"ok": 4, "changed": 0, ...}


@dataclass
class Row:
    nodes: int
    way: str
    start: float = 0.0
    first: float = 0.0
    noop: float = 0.0
    running: int = 0
    changed_first: int = 0
    changed_noop: int = 0
    noops: List[float] = field(default_factory=list)


@dataclass
class Run:
    """One benchmark run: its directory, settings and what it made outside that directory."""

    dir: Path
    token: str
    args: argparse.Namespace
    workloads: Dict[str, Any]  # group_vars/all.yml's workloads_* and demo_* variables
    trace: Trace

    @property
    def containers(self) -> List[str]:
        return [c["name"] for c in self.workloads["workloads_containers"]]


def workloads_vars(archive: Path) -> Dict[str, Any]:
    """The reference deployment's workloads as group_vars/all.yml declares them, the demo
    archive where this run built it."""
    declared = yaml.safe_load((REPO / "group_vars" / "all.yml").read_text())
    found = {k: v for k, v in declared.items() if k.startswith(("workloads_", "demo_"))}
    found["demo_image_archive"] = str(archive)
    return found


def state_document(workloads: Dict[str, Any]) -> Dict[str, Any]:
    """The workloads role's state document, written out: the archive read in place (the
    controller is the node), each container pulling as workloads_pull says."""
    images = []
    for image in workloads["workloads_images"]:
        entry = {k: v for k, v in image.items() if k != "archive_src"}
        if "archive_src" in image:
            entry["archive_path"] = image["archive_src"]
        images.append(entry)
    return {
        "group": workloads["workloads_group"],
        "prune": workloads["workloads_purge"],
        "images": images,
        "containers": [
            {"pull": workloads["workloads_pull"], **c} for c in workloads["workloads_containers"]
        ],
    }


def playbooks(directory: Path, workloads: Dict[str, Any]) -> None:
    role = [
        {
            "name": "Workloads of the reference deployment (site.yml's nodes, containerd running)",
            "hosts": "all",
            "gather_facts": False,
            "roles": [{"role": "ocirt.containerd.workloads"}],
        }
    ]
    task = {
        "name": "Images and containers, one state task",
        "ocirt.containerd.state": {
            "address": "{{ workloads_address }}",
            "namespace": "{{ workloads_namespace }}",
            "registry_config_path": "{{ workloads_registry_config_path }}",
            "state": state_document(workloads),
        },
    }
    state = [{"name": "Workloads", "hosts": "all", "gather_facts": False, "tasks": [task]}]
    (directory / "role.yml").write_text(json.dumps(role, indent=1))  # JSON is YAML
    (directory / "state.yml").write_text(json.dumps(state, indent=1))


def playbook_output(argv: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess:
    """ansible-playbook in a process group of its own, so that an interrupted run kills its
    forks and their modules too, not only the parent (subprocess.run's clean-up)."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=1800)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def ansible(run: Run, way: str, inventory: Path) -> Tuple[float, Recap]:
    """One timed ansible-playbook over the inventory; every host's recap, none failed."""
    argv = [str(BIN / "ansible-playbook"), "-i", str(inventory), "--forks", str(run.args.forks)]
    env = ansible_env({"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_RESULT_FORMAT": "json"})
    t0 = time.perf_counter()
    out = playbook_output([*argv, str(run.dir / f"{way}.yml")], env)
    took = time.perf_counter() - t0
    recap = {
        host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
        for host, counts in re.findall(r"^(node\d+)\s*:\s*(ok=.*)$", out.stdout, re.M)
    }
    bad = [h for h, c in recap.items() if c.get("failed") or c.get("unreachable")]
    if out.returncode != 0 or bad or not recap:
        raise RuntimeError(
            f"ansible-playbook {way}.yml failed ({out.returncode}; hosts {bad}):\n"
            f"{out.stdout[-6000:]}\n{out.stderr[-3000:]}"
        )
    return took, recap


def measure(run: Run, size: int, way: str) -> Row:
    """A fresh fleet of ``size`` nodes converged ``way``: first run, then no-op reruns."""
    row = Row(size, way)
    label = f"fl{run.token}{way[0]}{size}"
    with contextlib.ExitStack() as stack:
        t0 = time.perf_counter()
        nodes = open_fleet(stack, run.dir, size, run.args.series, label)
        row.start = time.perf_counter() - t0
        run.trace.add(nodes, run.containers)
        inventory = run.dir / f"inventory-{label}.json"
        hosts = {n.name: n.host_vars() for n in nodes}
        inventory.write_text(json.dumps({"all": {"vars": run.workloads, "hosts": hosts}}))
        row.first, recap = ansible(run, way, inventory)
        if sorted(recap) != sorted(hosts):
            raise RuntimeError(f"the recap names {sorted(recap)}, not {sorted(hosts)}")
        row.changed_first = sum(c["changed"] for c in recap.values())
        row.running = sum(all(n.running(c) for c in run.containers) for n in nodes)
        for _ in range(run.args.rounds):
            took, recap = ansible(run, way, inventory)
            row.noops.append(took)
            row.changed_noop += sum(c["changed"] for c in recap.values())
        row.noop = statistics.median(row.noops)
    return row


def slope(points: Sequence[Tuple[int, float]]) -> Optional[float]:
    """Least-squares seconds per node over (N, wall time); None for fewer than 2 sizes."""
    if len({n for n, _ in points}) < 2:
        return None
    mean_n = statistics.mean(n for n, _ in points)
    mean_t = statistics.mean(t for _, t in points)
    num = sum((n - mean_n) * (t - mean_t) for n, t in points)
    return num / sum((n - mean_n) ** 2 for n, _ in points)


HEADER = (
    f"{'N':>3}  {'way':22} {'start':>6} {'first':>7} {'no-op':>7} "
    f"{'first/node':>10} {'no-op/node':>10} {'running':>8} {'changed 1st/no-op':>17}"
)


def growth(rows: List[Row], label: str) -> List[str]:
    """What one node more costs (the slope) and the largest fleet against the smallest."""
    first = slope([(r.nodes, r.first) for r in rows])
    noop = slope([(r.nodes, r.noop) for r in rows])
    if first is None or noop is None:
        return []
    small = min(rows, key=lambda r: r.nodes)
    large = max(rows, key=lambda r: r.nodes)
    return [
        f"  {label}: +1 node adds {first:.2f} s to the first converge, {noop:.2f} s to the "
        f"no-op (slope over N={','.join(str(r.nodes) for r in rows)}); N={large.nodes} takes "
        f"{large.first / small.first:.1f}x / {large.noop / small.noop:.1f}x the time of "
        f"N={small.nodes}"
    ]


def table(rows: List[Row], args: argparse.Namespace, series: str) -> List[str]:
    lines = [
        f"{len(rows)} fleets, containerd {series}, forks={args.forks}, local connection; "
        f"seconds (no-op: median of {args.rounds})",
        HEADER,
    ]
    for r in rows:
        lines.append(
            f"{r.nodes:>3}  {WAYS[r.way]:22} {r.start:6.1f} {r.first:7.1f} {r.noop:7.1f} "
            f"{r.first / r.nodes:10.2f} {r.noop / r.nodes:10.2f} "
            f"{f'{r.running}/{r.nodes}':>8} {f'{r.changed_first}/{r.changed_noop}':>17}"
        )
    for way, label in WAYS.items():
        lines += growth([r for r in rows if r.way == way], label)
    return lines


def build_archive(directory: Path, name: str) -> Path:
    archive = directory / "demo-image.tar"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build-demo-image.py"), str(archive), name],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return archive


def bench(args: argparse.Namespace, run_dir: Path, trace: Trace) -> List[Row]:
    declared = yaml.safe_load((REPO / "group_vars" / "all.yml").read_text())
    archive = build_archive(run_dir, declared["demo_image_name"])
    run = Run(run_dir, secrets.token_hex(3), args, workloads_vars(archive), trace)
    playbooks(run_dir, run.workloads)
    rows = []
    for size in args.nodes:
        for way in args.ways:
            print(f"{size} nodes, {WAYS[way]} ...", file=sys.stderr, flush=True)
            rows.append(measure(run, size, way))
    return rows


def run_all(args: argparse.Namespace) -> Tuple[List[Row], List[str], bool]:
    """The benchmark in a directory of its own, then the teardown and the leftover check:
    (rows, what is left, whether it was interrupted)."""
    netns_before = ip_netns_list()
    trace = Trace([], [])
    run_dir = Path(tempfile.mkdtemp(prefix="ocirt-fleet-", dir="/tmp"))
    print(f"run directory {run_dir}", file=sys.stderr, flush=True)
    rows: List[Row] = []
    stopped = False
    try:
        rows = bench(args, run_dir, trace)
    except KeyboardInterrupt:  # each fleet's own teardown has run
        stopped = True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # tear down undisturbed
        unmount_all_under(str(run_dir))
        shutil.rmtree(run_dir, ignore_errors=True)
        left = leftovers(run_dir, trace, netns_before)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for line in left:
            print(f"LEFT BEHIND: {line}", file=sys.stderr)
    return rows, left, stopped


def sizes(text: str) -> List[int]:
    try:
        found = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        found = []
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError(f"--nodes: positive counts joined by commas, not {text!r}")
    return found


def ways(text: str) -> List[str]:
    found = [w.strip() for w in text.split(",") if w.strip()]
    if not found or set(found) - set(WAYS):
        raise argparse.ArgumentTypeError(f"--ways: some of {', '.join(WAYS)}, not {text!r}")
    return found


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--nodes", type=sizes, default=[20], help="sizes, e.g. 5,10,20")
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="no-op reruns per fleet")
    parser.add_argument("--series", default="1.6", help="containerd series of the nodes")
    parser.add_argument("--ways", type=ways, default=list(WAYS), help="role,state")
    return parser.parse_args(argv)


def interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    # Ctrl-C and SIGTERM end the run through the teardown, even when started with SIGINT
    # ignored (a background job of a script)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupted)
    rows, left, stopped = run_all(args)
    if not stopped:
        print("\n".join(table(rows, args, args.series)))
    if left:
        print(f"NOT torn down: {len(left)} things left (above)")
        return 1
    if stopped:
        print("interrupted; everything was torn down, nothing is left", file=sys.stderr)
        return 130
    print(
        "torn down: no daemon, shim, mount, network namespace, runc state, cgroup or "
        "directory of the run is left (ip netns list unchanged)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
