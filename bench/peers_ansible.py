"""The Ansible rows of bench/peers.py: N containers declared, first converge and a no-op rerun.

Four ways to declare them, each a play on localhost run by the same ansible-playbook:
ocirt's `containers` module (one task for the set), ocirt's `container` module in a loop,
community.docker's `docker_container` in a loop (against the benchmark's dockerd) and
containers.podman's `podman_container` in a loop (with the benchmark's podman configuration).
Ansible comes from bench/requirements-peers.txt (the `ansible` package, which carries both
collections) in a virtualenv of the benchmark's own, .cache/bench-venv, made here on first use;
the shared .venv is never touched. Each round removes what the plays made.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from peers_engines import NAMESPACE, SLEEP, ContainerdEngine, DockerEngine, Engine

if TYPE_CHECKING:
    from peers import Bench, Row

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".cache" / "bench-venv"
REQUIREMENTS = REPO / "bench" / "requirements-peers.txt"
STYLES = ("ocirt containers", "ocirt container loop", "docker", "podman")
KINDS = ("containers", "container loop")  # how ocirt's rows declare the set


def ensure_venv() -> Path:
    """The benchmark's virtualenv with the pinned requirements (re-made when they change)."""
    marker = VENV / "requirements-peers.txt"
    wanted = REQUIREMENTS.read_text()
    if marker.exists() and marker.read_text() == wanted:
        return VENV
    print(f"making {VENV} from {REQUIREMENTS.name} ...", file=sys.stderr, flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)],
        stdin=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    marker.write_text(wanted)
    return VENV


def task_for(style: str, b: Bench, engine: Engine, names: List[str]) -> Dict[str, Any]:
    """The one task of a style's play: the set in one call, or one container per loop item."""
    one: Dict[str, Any] = {"image": b.small, "command": SLEEP}
    if isinstance(engine, ContainerdEngine):
        common = {"address": engine.daemon.address, "namespace": NAMESPACE, "pull": "never"}
        if style == "ocirt containers":
            containers = [{"name": n, **one} for n in names]
            return {"ocirt.containerd.containers": {**common, "containers": containers}}
        return {
            "ocirt.containerd.container": {**common, **one, "name": "{{ item }}"},
            "loop": names,
        }
    one.update(name="{{ item }}", state="started")
    if isinstance(engine, DockerEngine):
        module = {**one, "docker_host": f"unix://{engine.socket}", "network_mode": "none"}
        return {"community.docker.docker_container": module, "loop": names}
    return {
        "containers.podman.podman_container": {**one, "network": "none"},
        "loop": names,
        "environment": {k: v for k, v in engine.env.items() if k.startswith("CONTAINERS_")},
    }


def play_once(venv: Path, task: Dict[str, Any], tmp: Path) -> Tuple[float, int]:
    """Run a one-task play; (wall seconds, the recap's changed count). Failures raise."""
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": str(venv / "bin" / "python"),
            },
            "tasks": [task],
        }
    ]
    path = tmp / "play.yml"
    path.write_text(json.dumps(play))  # JSON is YAML
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp),
    )
    argv = [str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", str(path)]
    start = time.perf_counter()
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    recap = re.search(r"^localhost\s*:\s*(.*)$", r.stdout, re.M)
    counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", recap.group(1))} if recap else {}
    if r.returncode != 0 or not counts or counts.get("failed"):
        raise RuntimeError(f"ansible-playbook failed:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}")
    return seconds, counts.get("changed", 0)


def versions(venv: Path) -> str:
    """ "ansible 12.3.0 (ansible-core 2.19.14), community.docker X, containers.podman Y"."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    found = []
    for name in ("community/docker", "containers/podman"):
        manifest = json.loads((site / "ansible_collections" / name / "MANIFEST.json").read_text())
        found.append(f"{name.replace('/', '.')} {manifest['collection_info']['version']}")
    dists = (p.name[: -len(".dist-info")].split("-") for p in site.glob("ansible*.dist-info"))
    meta = {d[0]: d[1] for d in dists}
    return f"ansible {meta.get('ansible')} (ansible_core {meta.get('ansible_core')}), " + (
        ", ".join(found)
    )


def engine_of(style: str, b: Bench) -> Engine:
    return b.engines["ocirt" if style.startswith("ocirt") else style]


def measure(b: Bench) -> List[Row]:
    """First converge and no-op rerun for each style, rounds rotating the order of styles."""
    from peers import Row

    venv = ensure_venv()
    n = b.args.declared
    styles = [s for s in STYLES if engine_of_name(s) in b.engines]
    rows = {
        (phase, kind): Row(f"ansible, {n}: {phase} (ocirt {kind})")
        for phase in ("converge", "rerun")
        for kind in KINDS
    }
    b.footnotes.append(
        f"ansible: {versions(venv)}; the rows with ocirt {KINDS[0]!r} and {KINDS[1]!r} share "
        "docker's and podman's loops; [n]: what the no-op rerun reported changed (0: idempotent)"
    )
    tmp = Path(tempfile.mkdtemp(prefix="ansible-", dir=b.tmp))
    for r in range(b.args.rounds):
        k = r % len(styles)
        for style in styles[k:] + styles[:k]:
            engine = engine_of(style, b)
            names = [f"ans-{style.split()[-1]}-{i:02d}" for i in range(n)]
            task = task_for(style, b, engine, names)
            try:
                first = play_once(venv, task, tmp)
                rerun = play_once(venv, task, tmp)
            finally:
                engine.remove(names)
            record(rows, style, first, rerun)
    return list(rows.values())


def engine_of_name(style: str) -> str:
    return "ocirt" if style.startswith("ocirt") else style


def record(
    rows: Dict[Tuple[str, str], Row],
    style: str,
    first: Tuple[float, int],
    rerun: Tuple[float, int],
) -> None:
    """docker's and podman's loops fill both ocirt rows; a rerun that changed is marked."""
    kinds = {"ocirt containers": KINDS[:1], "ocirt container loop": KINDS[1:]}
    tool = engine_of_name(style)
    for kind in kinds.get(style, KINDS):
        rows[("converge", kind)].add(tool, first[0])
        noop = rows[("rerun", kind)]
        noop.add(tool, rerun[0])
        if rerun[1] or tool not in noop.notes:
            noop.notes[tool] = f" [{rerun[1]}]"
