"""Benchmark: containerd Version calls through the ocirt library against `ctr version`.

Starts a private containerd (the test harness's daemon, never the machine's own), then in one
run times N Version calls through the library on one connection, N `ctr version` processes,
and a smaller number of `ocirt info --json` processes (a whole CLI start-up each), and prints
per-call times and ratios against ctr.

    .venv/bin/python bench/version_calls.py [--calls 1000] [--series 1.6]
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

from ansible_collections.ocirt.containerd.plugins.module_utils.api.version import (  # noqa: E402
    get_version,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (  # noqa: E402
    Connection,
)
from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402


def time_library(address: str, calls: int) -> float:
    with Connection(address) as conn:
        get_version(conn)  # connect outside the timing, as a long-lived client would
        start = time.perf_counter()
        for _ in range(calls):
            get_version(conn)
        return time.perf_counter() - start


def time_processes(argv: list, calls: int, env: dict) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        subprocess.run(
            argv, check=True, stdout=subprocess.DEVNULL, env=env, stdin=subprocess.DEVNULL
        )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cli-calls", type=int, default=100)
    parser.add_argument("--series", default="1.6", choices=["1.6", "1.7", "2.1"])
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; median is reported"
    )
    args = parser.parse_args()

    ensure_containerd(args.series)
    with ContainerdDaemon(args.series) as daemon:
        env = dict(os.environ)
        ctr = [str(daemon.ctr_bin), "--address", daemon.address, "version"]
        cli = [
            str(Path(sys.executable).parent / "ocirt"),
            "--address",
            daemon.address,
            "info",
            "--json",
        ]
        lib, ctr_t, cli_t = [], [], []
        for _ in range(args.rounds):  # interleaved so drift in machine load hits all alike
            lib.append(time_library(daemon.address, args.calls) / args.calls)
            ctr_t.append(time_processes(ctr, args.calls, env) / args.calls)
            cli_t.append(time_processes(cli, args.cli_calls, env) / args.cli_calls)
        version = daemon.version

    lib_ms, ctr_ms, cli_ms = (statistics.median(x) * 1000 for x in (lib, ctr_t, cli_t))
    print(f"containerd {version}, {args.calls} calls x {args.rounds} rounds (median per call)")
    print(f"{'what':42} {'ms/call':>9} {'ctr time / this time':>21}")
    for label, ms in (
        ("ocirt library Version (one connection)", lib_ms),
        ("ctr version (one process each)", ctr_ms),
        ("ocirt info --json (one process each)", cli_ms),
    ):
        print(f"{label:42} {ms:9.3f} {ctr_ms / ms:21.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
