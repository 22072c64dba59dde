"""Benchmarks of whole converges on this machine.

1. site.yml (containerd role + workloads role with the demo container, the workloads in one
   state task) against a temporary root: the first converge, then no-op re-converges.
2. 50 containers on a private containerd: the `containers` module (one call for the set)
   against one `container` task per container, first converge and no-op re-converge,
   interleaved.

    .venv/bin/python bench/converge.py [--rounds 3] [--containers 50]
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.ansible_runner import run_playbook, run_playbook_file  # noqa: E402
from harness.daemon import ContainerdDaemon  # noqa: E402
from harness.images import busybox_image, write_oci_archive  # noqa: E402
from harness.site_root import remove_containers, site_extra_vars, site_root  # noqa: E402

IMAGE = "bench.test/busybox:1"


def site(rounds: int) -> dict:
    """site.yml converged once, then no-op re-converges (its workloads are one state task)."""
    ns = f"bench-{secrets.token_hex(3)}"
    with site_root() as root:
        (root / "extra.json").write_text(json.dumps(site_extra_vars(root, ns)))
        inventory = REPO / "inventory/local.yml"
        ctr = ["/usr/bin/ctr", "--address", str(root / "c.sock"), "--namespace", ns]
        try:
            t0 = time.perf_counter()
            stats, _ = run_playbook_file(REPO / "site.yml", root / "extra.json", inventory)
            first = time.perf_counter() - t0
            again = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                stats, _ = run_playbook_file(REPO / "site.yml", root / "extra.json", inventory)
                again.append(time.perf_counter() - t0)
                assert stats["changed"] == 0
            return {"first": first, "noop": statistics.median(again)}
        finally:
            remove_containers(ctr)
            shutil.rmtree(f"/run/containerd/runc/{ns}", ignore_errors=True)


def many(count: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon("1.6") as daemon:
        archive = write_oci_archive(busybox_image(), Path(tmp) / "bb.tar", ref_name=IMAGE)
        results = {
            "one call": {"first": [], "noop": []},
            "one task each": {"first": [], "noop": []},
        }
        for r in range(rounds):
            for style in results if r % 2 == 0 else reversed(list(results)):
                ns = f"m{r}-{'set' if style == 'one call' else 'each'}"
                daemon.ctr("images", "import", str(archive), namespace=ns)
                items = [
                    {"name": f"c{i:02d}", "image": IMAGE, "command": ["sleep", "3600"]}
                    for i in range(count)
                ]
                common = {"address": daemon.address, "namespace": ns, "pull": "never"}
                if style == "one call":
                    tasks = [{"ocirt.containerd.containers": {**common, "containers": items}}]
                else:
                    tasks = [{"ocirt.containerd.container": {**common, **item}} for item in items]
                for phase in ("first", "noop"):
                    t0 = time.perf_counter()
                    out = run_playbook(tasks)
                    results[style][phase].append(time.perf_counter() - t0)
                    assert all(x["changed"] == (phase == "first") for x in out), out
                daemon.cleanup_namespace(ns)
        return {s: {p: statistics.median(v) for p, v in d.items()} for s, d in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--containers", type=int, default=50)
    args = parser.parse_args()
    s = site(args.rounds)
    print(
        f"site.yml on this machine (temporary root, containerd 1.6 from Debian's package): "
        f"first converge {s['first']:.1f} s, no-op re-converge {s['noop']:.1f} s (median)"
    )
    m = many(args.containers, args.rounds)
    one, each = m["one call"], m["one task each"]
    print(f"{args.containers} containers, {args.rounds} interleaved rounds (median):")
    for label, r in m.items():
        print(f"  {label:14} first converge {r['first']:6.1f} s   no-op {r['noop']:6.1f} s")
    print(
        f"  ratio (one task each / one call): first {each['first'] / one['first']:.1f}x, "
        f"no-op {each['noop'] / one['noop']:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
