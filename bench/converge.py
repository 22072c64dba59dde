"""Benchmarks of whole converges on this machine.

1. site.yml (containerd role + workloads role with the demo container) against a temporary
   root: the first converge, then no-op re-converges.
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.ansible_runner import run_playbook, run_playbook_file  # noqa: E402
from harness.daemon import ContainerdDaemon  # noqa: E402
from harness.images import busybox_image, write_oci_archive  # noqa: E402

IMAGE = "bench.test/busybox:1"


def site(rounds: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="ocirt-bench-", dir="/tmp"))
    ns = f"bench-{secrets.token_hex(3)}"
    extra = {
        "workloads_namespace": ns,
        "demo_image_archive": str(root / "demo.tar"),
        "containerd_config_path": str(root / "etc/config.toml"),
        "containerd_address": str(root / "c.sock"),
        "containerd_root_dir": str(root / "root"),
        "containerd_state_dir": str(root / "state"),
        "containerd_registry_config_path": str(root / "etc/certs.d"),
        "containerd_cni_conf_dir": str(root / "cni"),
        "containerd_crictl_config_path": str(root / "etc/crictl.yaml"),
        "containerd_service_pid_file": str(root / "run/containerd.pid"),
        "containerd_service_log_file": str(root / "log/containerd.log"),
        "containerd_config_settings": {
            "plugins": {
                "io.containerd.nri.v1.nri": {"disable": True},
                "io.containerd.internal.v1.opt": {"path": str(root / "opt")},
            }
        },
        "workloads_address": str(root / "c.sock"),
        "workloads_registry_config_path": str(root / "etc/certs.d"),
        "workloads_archive_dir": str(root / "archives"),
    }
    (root / "extra.json").write_text(json.dumps(extra))
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
        ids = subprocess.run([*ctr, "containers", "ls", "-q"], capture_output=True, text=True)
        for cid in ids.stdout.split():
            subprocess.run([*ctr, "task", "kill", "-s", "SIGKILL", cid], capture_output=True)
            subprocess.run([*ctr, "task", "rm", "-f", cid], capture_output=True)
            subprocess.run([*ctr, "containers", "rm", cid], capture_output=True)
        pid_file = root / "run/containerd.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)
            time.sleep(1)
        subprocess.run(
            [
                "sh",
                "-c",
                f"grep ' {root}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l",
            ],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
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
