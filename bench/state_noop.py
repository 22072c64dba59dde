"""No-op re-converge of 50 containers, four ways, against one private containerd.

The same 50 containers (busybox sleeping, converged once by ``ocirt apply``) are then
re-converged with nothing to do by:

1. ``ocirt apply -f state.json`` (the CLI on the node, no Ansible);
2. ansible-playbook with one ``ocirt.containerd.state`` task (the same document);
3. ansible-playbook with one ``ocirt.containerd.containers`` task (the same 50 items);
4. ansible-playbook with 50 ``ocirt.containerd.container`` tasks.

Each round runs the four in turn (the order rotates), every run is checked to change
nothing, and the medians and the ratios to ``ocirt apply`` are printed.

    .venv/bin/python bench/state_noop.py [--rounds 5] [--containers 50] [--series 1.6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.ansible_runner import run_playbook  # noqa: E402
from harness.daemon import ContainerdDaemon  # noqa: E402
from harness.images import busybox_image, write_oci_archive  # noqa: E402
from rounds import print_ratios, rotated_medians  # noqa: E402

IMAGE = "bench.test/busybox:1"
OCIRT = str(Path(sys.executable).parent / "ocirt")
GROUP_LABEL = "io.ocirt/group"  # what the document's group puts on each container


def items(count: int) -> List[dict]:
    return [
        {"name": f"c{i:02d}", "image": IMAGE, "command": ["sleep", "3600"]} for i in range(count)
    ]


def ocirt_apply(daemon: ContainerdDaemon, ns: str, path: Path) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    out = subprocess.run(
        [OCIRT, "-a", daemon.address, "-n", ns, "apply", "-f", str(path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["changed"]


def converge_once(daemon: ContainerdDaemon, ns: str, work: Path, count: int) -> Tuple[Path, float]:
    """The busybox image imported into ``ns`` and ``count`` containers of it converged by one
    ``ocirt apply`` of ``work``/state.json: the document's path and that apply's seconds."""
    archive = write_oci_archive(busybox_image(), work / "bb.tar", ref_name=IMAGE)
    daemon.ctr("images", "import", str(archive), namespace=ns)
    path = work / "state.json"
    path.write_text(json.dumps({"containers": items(count)}))
    t0 = time.perf_counter()
    assert ocirt_apply(daemon, ns, path) is True
    return path, time.perf_counter() - t0


def ways(daemon: ContainerdDaemon, ns: str, path: Path, count: int) -> Dict[str, Callable]:
    common = {"address": daemon.address, "namespace": ns, "registry_config_path": "/nonexistent"}
    document = json.loads(path.read_text())
    # the single-container module puts no group label on: given as a label, the stored
    # configuration is the one the document made, so the container module sees no change
    labelled = [{**i, "labels": {GROUP_LABEL: "default"}} for i in items(count)]

    def playbook(tasks: List[dict]) -> Callable[[], bool]:
        return lambda: any(r.get("changed") for r in run_playbook(tasks))

    return {
        "ocirt apply": lambda: ocirt_apply(daemon, ns, path),
        "state module, 1 task": playbook(
            [{"ocirt.containerd.state": {**common, "state": document}}]
        ),
        "containers module, 1 task": playbook(
            [{"ocirt.containerd.containers": {**common, "containers": items(count)}}]
        ),
        f"container module, {count} tasks": playbook(
            [{"ocirt.containerd.container": {**common, **i}} for i in labelled]
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--series", default="1.6")
    args = parser.parse_args()
    ns = "bench-state"
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon(args.series) as daemon:
        path, first = converge_once(daemon, ns, Path(tmp), args.containers)
        runs = ways(daemon, ns, path, args.containers)
        medians = rotated_medians(runs, args.rounds)
        daemon.cleanup_namespace(ns)
    print(
        f"{args.containers} containers on containerd {args.series}: first `ocirt apply` "
        f"{first:.1f} s; no-op re-converge, median of {args.rounds} rotated rounds:"
    )
    print_ratios(medians, "ocirt apply", 28, "ocirt apply")
    return 0


if __name__ == "__main__":
    sys.exit(main())
