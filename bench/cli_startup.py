"""Benchmark: `ocirt` start-up, per command, against ctr in the same run.

1. Import cost of each command (what `ocirt <verb>` loads before its first call): the sum of
   `python -X importtime` over building that command's parser, and how many of ocirt's own
   modules it loads. No daemon is needed for this part.
2. Against a private containerd with the busybox image imported, in interleaved rounds:
   `ocirt version` / `ctr version`, `ocirt run -d` / `ctr run -d`, and `ocirt ps -a` /
   `ctr containers ls` + `ctr tasks ls` with 20 and with 200 running containers.
   Medians; the ratio is ocirt's time over ctr's (the targets: ps <= 1.5, run -d <= 2).
   Two floor rows time the interpreter alone and the interpreter importing grpcio, which
   every ocirt command pays before any work of its own.

ocirt runs from byte code, as a pip-installed package does: the benchmark drops
PYTHONDONTWRITEBYTECODE from the environment of the commands it times (with it, every
`ocirt` process compiles its modules again) and runs each command once before timing it.

    .venv/bin/python bench/cli_startup.py [--series 2.1] [--rounds 5] [--counts 20,200]
        [--baseline DIR]  (DIR: another checkout with a .venv link, timed side by side)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402
from harness.images import busybox_image, write_oci_archive  # noqa: E402

from ocirt.cli.main import COMMANDS  # noqa: E402

IMAGE = "bench.test/busybox:1"
NAMESPACE = "bench"
#: run in a child interpreter: build one command's parser, print how many ocirt modules
PROBE = (
    "import sys; from ocirt.cli.main import build_parser; build_parser(sys.argv[1]); "
    "print(sum(m.startswith(('ocirt', 'ansible_collections')) for m in sys.modules))"
)
#: the floor under every ocirt command: the interpreter, and the interpreter with grpcio
FLOORS = [
    ("floor: python -c pass (ctr version)", "pass"),
    ("floor: python -c 'import grpc' (ctr version)", "import grpc"),
]
Row = Tuple[str, Dict[str, float]]  # what, seconds per tool


def timed(argv: List[str], env: Dict[str, str]) -> float:
    """Seconds ``argv`` took; what it said on stderr if it failed."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace')}")
    return seconds


def child_env(daemon: ContainerdDaemon) -> Dict[str, str]:
    env = dict(os.environ, CONTAINERD_ADDRESS=daemon.address, CONTAINERD_NAMESPACE=NAMESPACE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def import_cost(module: str, env: Dict[str, str]) -> Tuple[float, int]:
    """Milliseconds of imports to build ``module``'s parser (the best of three: the machine
    is shared), and how many of ocirt's modules it loads."""
    argv = [sys.executable, "-X", "importtime", "-c", PROBE, module]
    subprocess.run(argv, check=True, capture_output=True, env=env)  # writes the byte code
    best, count = float("inf"), 0
    for _ in range(3):
        done = subprocess.run(argv, check=True, capture_output=True, text=True, env=env)
        micros = sum(
            int(line.split("|")[0].split(":")[1])
            for line in done.stderr.splitlines()
            if line.startswith("import time:") and "self [us]" not in line
        )
        best, count = min(best, micros / 1000), int(done.stdout.strip())
    return best, count


def import_table(env: Dict[str, str]) -> List[str]:
    lines = [f"{'command module':22} {'imports ms':>10} {'ocirt modules':>14}  verbs"]
    verbs: Dict[str, List[str]] = {}
    for verb, module in COMMANDS.items():
        verbs.setdefault(module, []).append(verb)
    for module in sorted(verbs):
        ms, count = import_cost(module, env)
        lines.append(f"{module:22} {ms:10.1f} {count:14d}  {' '.join(verbs[module])}")
    return lines


Times = Dict[str, float]  # tool ("ocirt", "before", "ctr") -> seconds


def medians(rounds: Sequence[Times]) -> Times:
    return {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}


class Bench:
    """One daemon with the image imported, and how each tool reaches it: ocirt, ctr and,
    with --baseline, the ocirt of another checkout (its .venv/bin/ocirt) side by side."""

    def __init__(self, daemon: ContainerdDaemon, rounds: int, baseline: str = "") -> None:
        self.daemon = daemon
        self.rounds = rounds
        self.env = child_env(daemon)
        self.ctr = [str(daemon.ctr_bin), "--address", daemon.address, "--namespace", NAMESPACE]
        self.ocirts = {"ocirt": str(Path(sys.executable).parent / "ocirt")}
        if baseline:
            self.ocirts["before"] = str(Path(baseline) / ".venv" / "bin" / "ocirt")

    def once(self, ocirt: List[str], ctr: List[List[str]], r: int = 0) -> Times:
        """One round: each ocirt's time and the sum of the times of ctr's commands; the
        ocirts' order alternates between rounds (the first after ctr ran tends to pay more)."""
        tools = list(self.ocirts.items())
        times = {t: timed([path, *ocirt], self.env) for t, path in tools[:: -1 if r % 2 else 1]}
        times["ctr"] = sum(timed([*self.ctr, *c], self.env) for c in ctr)
        return times

    def compare(self, ocirt: List[str], ctr: List[List[str]]) -> Times:
        self.once(ocirt, ctr)  # warm: byte code written, page cache filled
        return medians([self.once(ocirt, ctr, r) for r in range(self.rounds)])

    def floor(self, code: str) -> Times:
        """A bare interpreter command (in every ocirt column), against `ctr version`."""
        rounds = []
        for _ in range(self.rounds):
            seconds = timed([sys.executable, "-c", code], self.env)
            rounds.append({**dict.fromkeys(self.ocirts, seconds), "ctr": self.ctr_version()})
        return medians(rounds)

    def ctr_version(self) -> float:
        return timed([*self.ctr, "version"], self.env)

    def remove(self, names: Sequence[str]) -> None:
        for name in names:
            self.daemon.ctr("task", "kill", "-s", "SIGKILL", name, namespace=NAMESPACE, check=False)
        for name in names:
            self.daemon.ctr("task", "rm", "-f", name, namespace=NAMESPACE, check=False)
            self.daemon.ctr("containers", "rm", name, namespace=NAMESPACE, check=False)

    def start_once(self, r: str) -> Times:
        sleep = ["sleep", "600"]
        times, names = {}, []
        for tool, path in list(self.ocirts.items())[:: -1 if r.isdigit() and int(r) % 2 else 1]:
            names.append(f"lat-{r}-{tool}")
            argv = [path, "run", "-d", "--name", names[-1], IMAGE, *sleep]
            times[tool] = timed(argv, self.env)
        names.append(f"lat-{r}-ctr")
        times["ctr"] = timed([*self.ctr, "run", "-d", IMAGE, names[-1], *sleep], self.env)
        self.remove(names)
        return times

    def start_latency(self) -> Row:
        self.start_once("warm")
        return (
            "run -d (ctr run -d)",
            medians([self.start_once(str(r)) for r in range(self.rounds)]),
        )

    def listing(self, counts: Sequence[int]) -> List[Row]:
        rows: List[Row] = []
        running: List[str] = []
        for n in sorted(counts):
            for i in range(len(running), n):
                name = f"ps{i:03d}"
                self.daemon.ctr("run", "-d", IMAGE, name, "sleep", "3600", namespace=NAMESPACE)
                running.append(name)
            times = self.compare(["ps", "-a"], [["containers", "ls"], ["tasks", "ls"]])
            rows.append((f"ps -a, {n} running (ctr containers ls + tasks ls)", times))
        self.remove(running)
        return rows


def measure(args: argparse.Namespace) -> Tuple[str, List[Row]]:
    ensure_containerd(args.series)
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon(args.series) as daemon:
        archive = write_oci_archive(busybox_image(), Path(tmp) / "bb.tar", ref_name=IMAGE)
        daemon.ctr("images", "import", str(archive), namespace=NAMESPACE)
        b = Bench(daemon, args.rounds, args.baseline)
        rows: List[Row] = [("version (ctr version)", b.compare(["version"], [["version"]]))]
        rows += [(what, b.floor(code)) for what, code in FLOORS]
        rows.append(b.start_latency())
        rows += b.listing([int(n) for n in args.counts.split(",")])
        return daemon.version, rows


def table(version: str, rounds: int, rows: List[Row]) -> List[str]:
    tools = [t for t in rows[0][1] if t != "ctr"]
    head = "".join(f" {t:>7} {t + '/ctr':>10}" for t in tools)
    lines = [f"containerd {version}, {rounds} rounds (median, seconds)"]
    lines.append(f"{'what (ctr side)':50} {'ctr':>7}{head}")
    for what, t in rows:
        cells = "".join(f" {t[tool]:7.3f} {t[tool] / t['ctr']:10.2f}" for tool in tools)
        lines.append(f"{what:50} {t['ctr']:7.3f}{cells}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="2.1", choices=["1.6", "1.7", "2.1"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--counts", default="20,200", help="running containers for ps -a")
    parser.add_argument("--no-imports", action="store_true", help="skip the import table")
    parser.add_argument(
        "--baseline",
        default="",
        help="another checkout whose .venv/bin/ocirt is timed too (column 'before')",
    )
    args = parser.parse_args()
    if not args.no_imports:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        print("\n".join(import_table(env)), end="\n\n")
    version, rows = measure(args)
    print("\n".join(table(version, args.rounds, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
