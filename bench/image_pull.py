"""Benchmark: cold pull of a ~100 MB multi-layer image, ocirt against `ctr images pull`.

Both pull from the same local registry (Debian's docker-registry on 127.0.0.1) into the same
private containerd, in interleaved rounds, each into a fresh namespace that is emptied
afterwards (images, content, snapshots), so every pull is cold. Also times the `image` module
on an image already present (the idempotent no-op every converge pays) against
`ctr images check` of that image.

    .venv/bin/python bench/image_pull.py [--series 1.6] [--rounds 3] [--layers 5] [--layer-mb 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.ansible_runner import run_playbook  # noqa: E402
from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402
from harness.images import File, busybox_image, push  # noqa: E402
from harness.registry import Registry  # noqa: E402


def big_image(layers: int, layer_mb: int):
    base = busybox_image()
    extra = [
        {f"data/layer{i}.bin": File(os.urandom(layer_mb * 1024 * 1024))} for i in range(layers)
    ]
    return base.replace(layers=[*base.layers, *extra])


def timed(argv, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="1.6", choices=["1.6", "1.7", "2.1"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--layer-mb", type=int, default=20)
    args = parser.parse_args()

    ensure_containerd(args.series)
    ocirt = str(Path(sys.executable).parent / "ocirt")
    with Registry() as registry, ContainerdDaemon(args.series) as daemon:
        image = big_image(args.layers, args.layer_mb)
        push(registry, "bench/big", "1", image)
        ref = f"{registry.host}/bench/big:1"
        size_mb = sum(b.size for b in image.build().blobs()) / 1e6
        times = {"ocirt pull": [], "ctr images pull": []}
        for r in range(args.rounds):
            for tool in times if r % 2 == 0 else reversed(list(times)):
                ns = f"bench-{r}-{tool.split()[0]}"
                env = dict(os.environ, CONTAINERD_ADDRESS=daemon.address, CONTAINERD_NAMESPACE=ns)
                if tool == "ocirt pull":
                    argv = [ocirt, "pull", "-q", "--hosts-dir", "/nonexistent", ref]
                else:
                    argv = [
                        str(daemon.ctr_bin),
                        "--address",
                        daemon.address,
                        "--namespace",
                        ns,
                        "images",
                        "pull",
                        "--plain-http",
                        ref,
                    ]
                times[tool].append(timed(argv, env))
                daemon.cleanup_namespace(ns)

        # the no-op: the image is there; what does a converge pay to find that out?
        ns = "bench-noop"
        daemon.ctr("images", "pull", "--plain-http", ref, namespace=ns)
        task = {"ocirt.containerd.image": {"name": ref, "namespace": ns, "address": daemon.address}}
        noop_task, baseline, check = [], [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            result = run_playbook([task])[0]
            noop_task.append(time.perf_counter() - start)
            assert result["changed"] is False, result
            start = time.perf_counter()
            run_playbook([{"ansible.builtin.debug": {"msg": "baseline"}}])
            baseline.append(time.perf_counter() - start)
            check.append(
                timed(
                    [
                        str(daemon.ctr_bin),
                        "--address",
                        daemon.address,
                        "--namespace",
                        ns,
                        "images",
                        "check",
                    ]
                )
            )
        version = daemon.version

    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"containerd {version}: cold pull of {size_mb:.0f} MB in {args.layers + 3} layers, "
        f"{args.rounds} interleaved rounds (median)"
    )
    for tool, t in med.items():
        print(f"  {tool:18} {t:7.2f} s  {size_mb / t:7.1f} MB/s")
    ratio = med["ctr images pull"] / med["ocirt pull"]
    print(f"  ratio ctr/ocirt    {ratio:7.2f} (above 1: ocirt is faster)")
    task_s = statistics.median(noop_task) - statistics.median(baseline)
    print("image module on an image already present:")
    print(
        f"  ansible-playbook with the task: {statistics.median(noop_task):.2f} s; with a debug "
        f"task only: {statistics.median(baseline):.2f} s; the task itself ~{task_s:.2f} s"
    )
    print(f"  ctr images check (one process): {statistics.median(check):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
