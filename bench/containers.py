"""Benchmarks for containers, each against ctr in the same run.

1. Start latency: `ocirt run -d` against `ctr run -d` (same image, interleaved, removed after).
2. Listing with N containers (default 200, all running): `ocirt ps -a` against
   `ctr containers ls` + `ctr task ls` (what it takes ctr to show the same).
3. The `container` module on already-converged containers: a play with 1 task, and a play
   with 50 tasks (one container each), against the same checks a shell-based role makes
   with ctr (`ctr containers info` + `ctr task ls` per container).

    .venv/bin/python bench/containers.py [--series 1.6] [--count 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from harness.ansible_runner import run_playbook  # noqa: E402
from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402
from harness.images import busybox_image, write_oci_archive  # noqa: E402
from image_pull import timed  # noqa: E402

IMAGE = "bench.test/busybox:1"
NAMESPACE = "bench"
Timings = dict[str, list[float]]


def median(xs):
    return statistics.median(xs)


@dataclass
class Bench:
    """One daemon with the image imported, and how each tool reaches it."""

    daemon: ContainerdDaemon
    rounds: int
    ns: str
    env: dict[str, str]
    ctr: list[str]
    ocirt: str

    def remove(self, name: str) -> None:
        """Delete a killed container's task and the container (either may be gone already)."""
        self.daemon.ctr("task", "rm", "-f", name, namespace=self.ns, check=False)
        self.daemon.ctr("containers", "rm", name, namespace=self.ns, check=False)


@dataclass
class Results:
    """Every timing of one run, printed by report()."""

    version: str
    start: Timings
    listing: Timings
    play: dict[int, list[float]]
    shell: list[float]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="1.6", choices=["1.6", "1.7", "2.1"])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--play-containers", type=int, default=50)
    return parser.parse_args()


def prepare(daemon: ContainerdDaemon, tmp: Path, rounds: int) -> Bench:
    """Import the busybox image into the bench namespace; the environment both tools use."""
    archive = write_oci_archive(busybox_image(), tmp / "bb.tar", ref_name=IMAGE)
    daemon.ctr("images", "import", str(archive), namespace=NAMESPACE)
    env = dict(os.environ, CONTAINERD_ADDRESS=daemon.address, CONTAINERD_NAMESPACE=NAMESPACE)
    ctr = [str(daemon.ctr_bin), "--address", daemon.address, "--namespace", NAMESPACE]
    ocirt = str(Path(sys.executable).parent / "ocirt")
    return Bench(daemon, rounds, NAMESPACE, env, ctr, ocirt)


def start_once(b: Bench, tool: str, name: str) -> float:
    """Time one detached start with this tool, then kill and remove the container."""
    if tool.startswith("ocirt"):
        argv = [b.ocirt, "run", "-d", "--name", name, IMAGE, "sleep", "600"]
    else:
        argv = [*b.ctr, "run", "-d", IMAGE, name, "sleep", "600"]
    seconds = timed(argv, b.env)
    b.daemon.ctr("task", "kill", "-s", "SIGKILL", name, namespace=b.ns)
    time.sleep(0.2)
    b.remove(name)
    return seconds


def start_latency(b: Bench) -> Timings:
    """1. `ocirt run -d` against `ctr run -d`, the order alternating between rounds."""
    start: Timings = {"ocirt run -d": [], "ctr run -d": []}
    for r in range(b.rounds):
        for tool in start if r % 2 == 0 else reversed(list(start)):
            start[tool].append(start_once(b, tool, f"lat-{r}-{tool.split()[0]}"))
    return start


def listing_latency(b: Bench, count: int) -> Timings:
    """2. Listing `count` running containers: `ocirt ps -a` against ctr's two listings."""
    names = [f"c{i:03d}" for i in range(count)]
    for name in names:
        b.daemon.ctr("run", "-d", IMAGE, name, "sleep", "3600", namespace=b.ns)
    listing: Timings = {"ocirt ps -a": [], "ctr containers ls + ctr task ls": []}
    for _ in range(b.rounds):
        listing["ocirt ps -a"].append(timed([b.ocirt, "ps", "-a"], b.env))
        listing["ctr containers ls + ctr task ls"].append(
            timed([*b.ctr, "containers", "ls"], b.env) + timed([*b.ctr, "task", "ls"], b.env)
        )
    for name in names:
        b.daemon.ctr("task", "kill", "-s", "SIGKILL", name, namespace=b.ns, check=False)
    time.sleep(1)
    for name in names:
        b.remove(name)
    return listing


def module_tasks(b: Bench, n: int) -> list[dict]:
    """A play of n `container` tasks, one container each."""
    return [
        {
            "ocirt.containerd.container": {
                "address": b.daemon.address,
                "namespace": b.ns,
                "name": f"m{i:02d}",
                "image": IMAGE,
                "command": ["sleep", "3600"],
                "pull": "never",
            }
        }
        for i in range(n)
    ]


def shell_checks(b: Bench, n: int) -> float:
    """What a shell-based role runs to check n containers: info + task ls per container."""
    t0 = time.perf_counter()
    for i in range(n):
        timed([*b.ctr, "containers", "info", f"m{i:02d}"], b.env)
        timed([*b.ctr, "task", "ls"], b.env)
    return time.perf_counter() - t0


def converged_module(b: Bench, n: int) -> tuple[dict[int, list[float]], list[float]]:
    """3. Plays of 1 and of n tasks on converged containers, and the same checks with ctr."""
    assert all(r["changed"] for r in run_playbook(module_tasks(b, n)))
    play: dict[int, list[float]] = {1: [], n: []}
    shell = []
    for _ in range(b.rounds):
        for k in (1, n):
            t0 = time.perf_counter()
            results = run_playbook(module_tasks(b, k))
            play[k].append(time.perf_counter() - t0)
            assert not any(r["changed"] for r in results)
        shell.append(shell_checks(b, n))
    return play, shell


def measure(args: argparse.Namespace) -> Results:
    """All three benchmarks against one private containerd of the series."""
    ensure_containerd(args.series)
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon(args.series) as daemon:
        b = prepare(daemon, Path(tmp), args.rounds)
        start = start_latency(b)
        listing = listing_latency(b, args.count)
        play, shell = converged_module(b, args.play_containers)
        return Results(daemon.version, start, listing, play, shell)


def report(args: argparse.Namespace, res: Results) -> None:
    n = args.play_containers
    print(f"containerd {res.version}, {args.rounds} rounds (median)")
    s = {k: median(v) for k, v in res.start.items()}
    print(
        f"  start latency: ocirt run -d {s['ocirt run -d']:.3f} s, ctr run -d "
        f"{s['ctr run -d']:.3f} s, ratio ctr/ocirt {s['ctr run -d'] / s['ocirt run -d']:.2f}"
    )
    ls = {k: median(v) for k, v in res.listing.items()}
    both = ls["ctr containers ls + ctr task ls"]
    print(
        f"  listing {args.count} running containers: ocirt ps -a {ls['ocirt ps -a']:.3f} s, "
        f"ctr containers ls + task ls {both:.3f} s, ratio ctr/ocirt {both / ls['ocirt ps -a']:.2f}"
    )
    p1, pn = median(res.play[1]), median(res.play[n])
    print(
        f"  container module, converged: play with 1 task {p1:.2f} s, with {n} tasks {pn:.2f} s "
        f"({(pn - p1) / (n - 1):.3f} s per extra container)"
    )
    print(
        f"  the same checks with ctr processes ({n} x containers info + task ls): "
        f"{median(res.shell):.2f} s, ratio ctr/ocirt {median(res.shell) / pn:.2f}"
    )


def main() -> int:
    args = parse_args()
    report(args, measure(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
