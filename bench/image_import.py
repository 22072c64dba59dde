"""Benchmark: import of a ~100 MB OCI archive, `ocirt image import` against `ctr images import`.

Same archive, same private containerd, interleaved rounds, each into a fresh namespace that is
emptied afterwards so every import is cold.

    .venv/bin/python bench/image_import.py [--series 1.6] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402
from harness.images import write_oci_archive  # noqa: E402
from image_pull import big_image, timed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="1.6", choices=["1.6", "1.7", "2.1"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--layer-mb", type=int, default=20)
    args = parser.parse_args()

    ensure_containerd(args.series)
    ocirt = str(Path(sys.executable).parent / "ocirt")
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon(args.series) as daemon:
        archive = write_oci_archive(
            big_image(args.layers, args.layer_mb),
            Path(tmp) / "big.tar",
            ref_name="bench.test/big:1",
        )
        size_mb = archive.stat().st_size / 1e6
        times = {"ocirt image import": [], "ctr images import": []}
        for r in range(args.rounds):
            for tool in times if r % 2 == 0 else reversed(list(times)):
                ns = f"bench-{r}-{tool.split()[0]}"
                env = dict(os.environ, CONTAINERD_ADDRESS=daemon.address, CONTAINERD_NAMESPACE=ns)
                if tool.startswith("ocirt"):
                    argv = [ocirt, "image", "import", str(archive)]
                else:
                    argv = [
                        str(daemon.ctr_bin),
                        "--address",
                        daemon.address,
                        "--namespace",
                        ns,
                        "images",
                        "import",
                        str(archive),
                    ]
                times[tool].append(timed(argv, env))
                daemon.cleanup_namespace(ns)
        version = daemon.version

    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"containerd {version}: import of a {size_mb:.0f} MB OCI archive ({args.layers + 3} "
        f"layers), {args.rounds} interleaved rounds (median)"
    )
    for tool, t in med.items():
        print(f"  {tool:20} {t:7.2f} s  {size_mb / t:7.1f} MB/s")
    ratio = med["ctr images import"] / med["ocirt image import"]
    print(f"  ratio ctr/ocirt      {ratio:7.2f} (above 1: ocirt is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
