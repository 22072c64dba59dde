"""No-op pyinfra deploy of 50 containers against the state module and Ansible's container
loop, against one private containerd, in the same run.

The same 50 containers (busybox sleeping, converged once by ``ocirt apply``) are then
re-converged with nothing to do by:

1. ``pyinfra -y @local`` with one ``ocirt.pyinfra.operations.state`` operation (one fact:
   the node agent's ``diff --json`` of the document, nothing yielded);
2. ``pyinfra -y @local`` with one ``ocirt.pyinfra.operations.container`` operation per
   container (50 facts, 50 agent runs);
3. ansible-playbook with one ``ocirt.containerd.state`` task (the same document);
4. ansible-playbook with one ``ocirt.containerd.container`` task looping over the 50.

As the harness runs a node (tests/pyinfra/test_deploy_local.py): the agent built by
scripts/build-agent.sh, run by Debian's /usr/bin/python3 with python3-grpcio, the
private containerd's address and namespace as host data. Each round runs the four in turn
(the order rotates), every run is checked to change nothing, and the medians and the ratios
to the pyinfra state operation are printed.

    .venv/bin/python bench/pyinfra_noop.py [--rounds 3] [--containers 50] [--series 1.6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.agent import build_agent  # noqa: E402
from harness.ansible_runner import run_playbook  # noqa: E402
from harness.daemon import ContainerdDaemon  # noqa: E402
from rounds import print_ratios, rotated_medians  # noqa: E402
from state_noop import GROUP_LABEL, converge_once, items  # noqa: E402

PYINFRA = str(Path(sys.executable).with_name("pyinfra"))
DEPLOYS = {
    "state": """
import json
from ocirt.pyinfra import operations as ocirt
ocirt.state(name="{count} containers", document=json.load(open({path!r})))
""",
    "container": """
import json
from ocirt.pyinfra import operations as ocirt
for item in json.load(open({path!r}))["containers"]:
    ocirt.container(name="container " + item["name"], container=item.pop("name"), **item)
""",
}


def _node_env() -> Dict[str, str]:
    """The node's side as a node runs it: no virtualenv on PATH, no CONTAINERD_*."""
    path = ":".join(p for p in os.environ.get("PATH", "").split(":") if ".venv" not in p)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    env.pop("VIRTUAL_ENV", None)
    return {**env, "PATH": path}


def pyinfra_run(deploy: Path, data: Dict[str, str], cwd: str) -> bool:
    flags = [f"--data={k}={v}" for k, v in data.items()]
    out = subprocess.run(
        [PYINFRA, "-y", "--json", *flags, "@local", str(deploy)],
        capture_output=True,
        text=True,
        env=_node_env(),
        cwd=cwd,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    operations = json.loads(out.stdout)["results"]["operations"]
    return any(op["success"] for op in operations)


def ways(daemon: ContainerdDaemon, ns: str, tmp: Path, count: int) -> Dict[str, Callable]:
    path = tmp / "state.json"
    agent = tmp / "ocirt.pyz"
    data = {
        "ocirt_address": daemon.address,
        "ocirt_namespace": ns,
        "ocirt_agent": str(agent),
        "ocirt_python": "/usr/bin/python3",
    }
    deploys = {}
    for kind, text in DEPLOYS.items():
        deploys[kind] = tmp / f"deploy_{kind}.py"
        deploys[kind].write_text(text.format(count=count, path=str(path)))
    common = {"address": daemon.address, "namespace": ns, "registry_config_path": "/nonexistent"}
    # the single-container module puts no group label on: given as a label, the stored
    # configuration is the one the document made, so the container module sees no change
    labelled = [{**i, "labels": {GROUP_LABEL: "default"}} for i in items(count)]
    loop = {
        "ocirt.containerd.container": {
            **common,
            **{key: f"{{{{ item.{key} }}}}" for key in labelled[0]},
        },
        "loop": labelled,
    }

    def playbook(tasks: List[dict]) -> Callable[[], bool]:
        return lambda: any(r.get("changed") for r in run_playbook(tasks))

    return {
        "pyinfra, 1 state operation": lambda: pyinfra_run(deploys["state"], data, str(tmp)),
        f"pyinfra, {count} container operations": lambda: pyinfra_run(
            deploys["container"], data, str(tmp)
        ),
        "state module, 1 task": playbook(
            [{"ocirt.containerd.state": {**common, "state": json.loads(path.read_text())}}]
        ),
        f"container module, loop of {count}": playbook([loop]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--series", default="1.6")
    args = parser.parse_args()
    ns = "bench-pyinfra"
    with tempfile.TemporaryDirectory() as tmp, ContainerdDaemon(args.series) as daemon:
        work = Path(tmp)
        build_agent(work / "ocirt.pyz")
        converge_once(daemon, ns, work, args.containers)
        runs = ways(daemon, ns, work, args.containers)
        medians = rotated_medians(runs, args.rounds)
        daemon.cleanup_namespace(ns)
    print(
        f"{args.containers} containers on containerd {args.series}, no-op re-converge, "
        f"median of {args.rounds} rotated rounds:"
    )
    print_ratios(medians, "pyinfra, 1 state operation", 34, "the pyinfra state operation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
