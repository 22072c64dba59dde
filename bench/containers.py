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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from harness.ansible_runner import run_playbook  # noqa: E402
from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402
from harness.images import busybox_image, write_oci_archive  # noqa: E402
from image_pull import timed  # noqa: E402

IMAGE = "bench.test/busybox:1"


def median(xs):
    return statistics.median(xs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="1.6", choices=["1.6", "1.7", "2.1"])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--play-containers", type=int, default=50)
    args = parser.parse_args()

    ensure_containerd(args.series)
    ocirt = str(Path(sys.executable).parent / "ocirt")
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon(args.series) as daemon:
        archive = write_oci_archive(busybox_image(), Path(tmp) / "bb.tar", ref_name=IMAGE)
        ns = "bench"
        daemon.ctr("images", "import", str(archive), namespace=ns)
        env = dict(os.environ, CONTAINERD_ADDRESS=daemon.address, CONTAINERD_NAMESPACE=ns)
        ctr = [str(daemon.ctr_bin), "--address", daemon.address, "--namespace", ns]

        # 1. start latency
        start = {"ocirt run -d": [], "ctr run -d": []}
        for r in range(args.rounds):
            for tool in start if r % 2 == 0 else reversed(list(start)):
                name = f"lat-{r}-{tool.split()[0]}"
                if tool.startswith("ocirt"):
                    argv = [ocirt, "run", "-d", "--name", name, IMAGE, "sleep", "600"]
                else:
                    argv = [*ctr, "run", "-d", IMAGE, name, "sleep", "600"]
                start[tool].append(timed(argv, env))
                daemon.ctr("task", "kill", "-s", "SIGKILL", name, namespace=ns)
                time.sleep(0.2)
                daemon.ctr("task", "rm", "-f", name, namespace=ns, check=False)
                daemon.ctr("containers", "rm", name, namespace=ns, check=False)

        # 2. listing N running containers
        for i in range(args.count):
            daemon.ctr("run", "-d", IMAGE, f"c{i:03d}", "sleep", "3600", namespace=ns)
        listing = {"ocirt ps -a": [], "ctr containers ls + ctr task ls": []}
        for _ in range(args.rounds):
            listing["ocirt ps -a"].append(timed([ocirt, "ps", "-a"], env))
            listing["ctr containers ls + ctr task ls"].append(
                timed([*ctr, "containers", "ls"], env) + timed([*ctr, "task", "ls"], env)
            )
        for i in range(args.count):
            daemon.ctr("task", "kill", "-s", "SIGKILL", f"c{i:03d}", namespace=ns, check=False)
        time.sleep(1)
        for i in range(args.count):
            daemon.ctr("task", "rm", "-f", f"c{i:03d}", namespace=ns, check=False)
            daemon.ctr("containers", "rm", f"c{i:03d}", namespace=ns, check=False)

        # 3. the module on converged containers
        def tasks_for(n):
            return [
                {
                    "ocirt.containerd.container": {
                        "address": daemon.address,
                        "namespace": ns,
                        "name": f"m{i:02d}",
                        "image": IMAGE,
                        "command": ["sleep", "3600"],
                        "pull": "never",
                    }
                }
                for i in range(n)
            ]

        n = args.play_containers
        assert all(r["changed"] for r in run_playbook(tasks_for(n)))
        play = {1: [], n: []}
        shell = []
        for _ in range(args.rounds):
            for k in (1, n):
                t0 = time.perf_counter()
                results = run_playbook(tasks_for(k))
                play[k].append(time.perf_counter() - t0)
                assert not any(r["changed"] for r in results)
            t0 = time.perf_counter()
            for i in range(n):
                timed([*ctr, "containers", "info", f"m{i:02d}"], env)
                timed([*ctr, "task", "ls"], env)
            shell.append(time.perf_counter() - t0)
        version = daemon.version

    print(f"containerd {version}, {args.rounds} rounds (median)")
    s = {k: median(v) for k, v in start.items()}
    print(
        f"  start latency: ocirt run -d {s['ocirt run -d']:.3f} s, ctr run -d "
        f"{s['ctr run -d']:.3f} s, ratio ctr/ocirt {s['ctr run -d'] / s['ocirt run -d']:.2f}"
    )
    ls = {k: median(v) for k, v in listing.items()}
    both = ls["ctr containers ls + ctr task ls"]
    print(
        f"  listing {args.count} running containers: ocirt ps -a {ls['ocirt ps -a']:.3f} s, "
        f"ctr containers ls + task ls {both:.3f} s, ratio ctr/ocirt {both / ls['ocirt ps -a']:.2f}"
    )
    p1, pn = median(play[1]), median(play[n])
    print(
        f"  container module, converged: play with 1 task {p1:.2f} s, with {n} tasks {pn:.2f} s "
        f"({(pn - p1) / (n - 1):.3f} s per extra container)"
    )
    print(
        f"  the same checks with ctr processes ({n} x containers info + task ls): "
        f"{median(shell):.2f} s, ratio ctr/ocirt {median(shell) / pn:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
