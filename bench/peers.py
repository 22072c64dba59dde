"""Benchmark: the same work through ocirt, ctr, docker and podman, side by side in one run.

All images come from a local registry on 127.0.0.1 (Debian's docker-registry), built from
busybox-static by the test harness; every tool gets daemons and storage of its own under one
tmp dir (see bench/peers_engines.py), torn down at the end, on an error and on Ctrl-C.

Measured, in rounds whose tool order rotates (the machine is shared and noisy):
- start: `run -d` of a sleeping busybox, no network (ctr: `ctr run -d`)
- exec: `exec <running container> true` (ctr: `ctr tasks exec`)
- ps: `ps -a` with --containers running (ctr: `ctr containers ls` + `ctr tasks ls`)
- pull: a cold pull of a ~100 MB image, busybox plus --layers layers of random data
- import: the same image as a `docker save` archive (`image import`/`images import`/`load`)
- ansible: --declared containers, first converge and a no-op rerun, through ocirt's
  containers module (one task), ocirt's container module in a loop, community.docker's
  docker_container and containers.podman's podman_container in a loop (bench/peers_ansible.py;
  Ansible from bench/requirements-peers.txt in a virtualenv of its own, .cache/bench-venv)

One table: medians, then ctr/ocirt and best peer/ocirt (above 1: ocirt is faster).

    .venv/bin/python bench/peers.py [--rounds 3] [--containers 200] [--declared 50]
        [--layers 8 --layer-mb 12] [--only start,ps,ocirt,docker] [--series 1.6]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from harness.daemon import ContainerdDaemon, ensure_containerd  # noqa: E402
from harness.images import File, busybox_image, push, write_docker_archive  # noqa: E402
from harness.registry import Registry  # noqa: E402
from peers_engines import (  # noqa: E402
    NAMESPACE,
    ContainerdEngine,
    DockerEngine,
    Engine,
    PodmanEngine,
    ensure_packages,
    in_parallel,
    quiet,
    timed,
)

TOOLS = ("ocirt", "ctr", "docker", "podman")
MEASURES = ("start", "exec", "ps", "pull", "import", "ansible")
PEERS = ("ctr", "docker", "podman")


@dataclass
class Row:
    """One line of the table: seconds per tool over the rounds, and a note per tool."""

    label: str
    times: Dict[str, List[float]] = field(default_factory=dict)
    notes: Dict[str, str] = field(default_factory=dict)

    def add(self, tool: str, seconds: float) -> None:
        self.times.setdefault(tool, []).append(seconds)


@dataclass
class Bench:
    """Everything one run set up: the registry's images, the archive and the engines."""

    args: argparse.Namespace
    tmp: Path
    small: str
    big: str
    archive: Path
    archive_ref: str
    big_mb: float
    engines: Dict[str, Engine]
    footnotes: List[str] = field(default_factory=list)

    def order(self, round_: int) -> List[Engine]:
        """The engines, rotated by round so none always goes first."""
        tools = list(self.engines.values())
        k = round_ % len(tools)
        return tools[k:] + tools[:k]


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--containers", type=int, default=200, help="running containers for ps")
    p.add_argument("--declared", type=int, help="containers in the Ansible plays (default 50)")
    p.add_argument("--layers", type=int, default=8, help="random-data layers of the big image")
    p.add_argument("--layer-mb", type=float, default=12)
    p.add_argument("--series", default="1.6", choices=["1.6", "1.7", "2.1"])
    p.add_argument(
        "--only",
        default="",
        help=f"comma list of measures ({','.join(MEASURES)}) and/or tools ({','.join(TOOLS)})",
    )
    args = p.parse_args(argv)
    only = [x for x in args.only.split(",") if x]
    unknown = sorted(set(only) - set(TOOLS) - set(MEASURES))
    if unknown:
        p.error(f"--only: unknown {', '.join(unknown)}; known: {', '.join(MEASURES + TOOLS)}")
    args.tools = [t for t in TOOLS if t in only] or list(TOOLS)
    args.measures = [m for m in MEASURES if m in only] or list(MEASURES)
    if args.declared is None:
        args.declared = min(50, args.containers)
    return args


def big_image(layers: int, layer_mb: float):
    base = busybox_image()
    size = int(layer_mb * 1024 * 1024)
    extra = [{f"data/layer{i}.bin": File(os.urandom(size))} for i in range(layers)]
    return base.replace(layers=[*base.layers, *extra])


def build(stack: contextlib.ExitStack, args: argparse.Namespace) -> Bench:
    """The registry with both images, the archive, and one engine per tool asked for."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peers-", dir="/tmp")))
    registry = stack.enter_context(Registry())
    push(registry, "bench/busybox", "1", busybox_image())
    image = big_image(args.layers, args.layer_mb)
    push(registry, "bench/big", "1", image)
    archive_ref = "peers.test/big:1"
    archive = write_docker_archive(image, tmp / "big.tar", repo_tags=[archive_ref])
    engines: Dict[str, Engine] = {}
    if {"ocirt", "ctr"} & set(args.tools):
        ensure_containerd(args.series)
        daemon = stack.enter_context(ContainerdDaemon(args.series, log_level="info"))
        stack.callback(forget_ocirt_logs)
        for tool in ("ocirt", "ctr"):
            if tool in args.tools:
                engines[tool] = ContainerdEngine(tool, daemon, tmp)
    if {"docker", "podman"} & set(args.tools):
        ensure_packages()
    if "docker" in args.tools:
        docker = DockerEngine(tmp, registry.host, args.series)
        engines["docker"] = stack.enter_context(closing(docker))
    if "podman" in args.tools:
        engines["podman"] = stack.enter_context(closing(PodmanEngine(tmp, registry.host)))
    small, big = f"{registry.host}/bench/busybox:1", f"{registry.host}/bench/big:1"
    for engine in engines.values():
        engine.prepare_image(small)
    size = sum(b.size for b in image.build().blobs()) / 1e6
    docker, podman = (tool_version(engines, t) for t in ("docker", "podman"))
    footnotes = [
        f"containerd {args.series} for ocirt, ctr and docker; dockerd {docker}, podman {podman}; "
        "no network for any container"
    ]
    return Bench(args, tmp, small, big, archive, archive_ref, size, engines, footnotes)


def tool_version(engines: Dict[str, Engine], tool: str) -> str:
    if tool not in engines:
        return "(not run)"
    out = quiet(engines[tool].cli("version", "--format", "{{.Server.Version}}"), engines[tool].env)
    return out.stdout.strip() or out.stderr.strip()[:60]


@contextlib.contextmanager
def closing(engine: Engine):
    try:
        yield engine
    finally:
        engine.close()


def forget_ocirt_logs() -> None:
    """ocirt's log driver writes under /var/log/ocirt/<daemon>/<namespace>: drop ours."""
    for d in Path("/var/log/ocirt").glob(f"*/{NAMESPACE}"):
        for f in d.iterdir():
            f.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            d.rmdir()
            d.parent.rmdir()


def measure_start(b: Bench) -> List[Row]:
    row = Row("run -d (detached start)")
    for r in range(b.args.rounds):
        for engine in b.order(r):
            name = f"start-{engine.name}-{r}"
            row.add(engine.name, engine.start(name, b.small))
            engine.remove([name])
    return [row]


def measure_exec(b: Bench) -> List[Row]:
    row = Row("exec true")
    for engine in b.engines.values():
        engine.start(f"exec-{engine.name}", b.small)
    try:
        for r in range(b.args.rounds):
            for engine in b.order(r):
                row.add(engine.name, timed(engine.exec_argv(f"exec-{engine.name}"), engine.env))
    finally:
        for engine in b.engines.values():
            engine.remove([f"exec-{engine.name}"])
    return [row]


def measure_ps(b: Bench) -> List[Row]:
    """Each tool's containers are created (ocirt's by ocirt, which ctr then lists too),
    listed over the rounds, and removed before the next tool's."""
    n = b.args.containers
    row = Row(f"ps -a, {n} running")
    engines = dict(b.engines)
    if "ocirt" in engines and "ctr" in engines:
        groups = [["ocirt", "ctr"], *[[t] for t in engines if t not in ("ocirt", "ctr")]]
    else:
        groups = [[t] for t in engines]
    for group in groups:
        maker = engines[group[0]]
        names = [f"ps-{maker.name}-{i:03d}" for i in range(n)]
        in_parallel(lambda name, m=maker: m.start(name, b.small), names)
        try:
            for r in range(b.args.rounds):
                for tool in group[r % len(group) :] + group[: r % len(group)]:
                    row.add(tool, engines[tool].list_all())
        finally:
            maker.remove(names)
    return [row]


def measure_pull(b: Bench) -> List[Row]:
    row = Row(f"pull, cold, {b.big_mb:.0f} MB in {b.args.layers + 3} layers")
    for r in range(b.args.rounds):
        for engine in b.order(r):
            row.add(engine.name, engine.pull(b.big, r))
    return [row]


def measure_import(b: Bench) -> List[Row]:
    size = b.archive.stat().st_size / 1e6
    row = Row(f"import of the same, {size:.0f} MB archive")
    for r in range(b.args.rounds):
        for engine in b.order(r):
            row.add(engine.name, engine.load(b.archive, b.archive_ref, r))
    return [row]


def measure_ansible(b: Bench) -> List[Row]:
    from peers_ansible import measure

    return measure(b)


def fmt(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def table_lines(rows: List[Row], tools: List[str]) -> List[str]:
    """Medians per tool, ctr/ocirt, and the best peer/ocirt (above 1: ocirt is faster)."""
    header = ["", *tools, "ctr/ocirt", "best peer/ocirt"]
    body = []
    for row in rows:
        med = {t: statistics.median(v) for t, v in row.times.items() if v}
        cells = [row.label]
        cells += [fmt(med[t]) + row.notes.get(t, "") if t in med else "-" for t in tools]
        ours = med.get("ocirt")
        cells.append(f"{med['ctr'] / ours:.2f}" if ours and "ctr" in med else "-")
        peers = {t: med[t] for t in PEERS if t in med}
        if ours and peers:
            best = min(peers, key=peers.__getitem__)
            cells.append(f"{peers[best] / ours:.2f} ({best})")
        else:
            cells.append("-")
        body.append(cells)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for cells in [header, *body]:
        first = cells[0].ljust(widths[0])
        lines.append("  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))]))
    return lines


def run(args: argparse.Namespace) -> Tuple[List[Row], List[str]]:
    rows: List[Row] = []
    measures = {
        "start": measure_start, "exec": measure_exec, "ps": measure_ps,
        "pull": measure_pull, "import": measure_import, "ansible": measure_ansible,
    }  # fmt: skip
    with contextlib.ExitStack() as stack:
        stack.callback(signal.signal, signal.SIGINT, signal.SIG_IGN)  # tear down undisturbed
        b = build(stack, args)
        for m in args.measures:
            print(f"measuring {m} ...", file=sys.stderr, flush=True)
            rows += measures[m](b)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return rows, b.footnotes


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        rows, footnotes = run(args)
    except KeyboardInterrupt:
        print("interrupted; everything was torn down", file=sys.stderr)
        return 130
    print(f"{args.rounds} rounds, medians in seconds; ratios above 1: ocirt is faster")
    print("\n".join(table_lines(rows, args.tools)))
    print("\n".join(footnotes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
