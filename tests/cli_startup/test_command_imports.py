"""What an `ocirt` command loads before its first call (issue 17: CLI start-up budget).

Each case builds one command's parser in a fresh interpreter, as `ocirt <verb>` does, and
lists the modules it loaded. No timings: the budget is kept by what is not imported (the
figures are bench/cli_startup.py's). No daemon is needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Dict, List

import pytest

MU = "ansible_collections.ocirt.containerd.plugins.module_utils."

#: loaded in the child: the command's parser, then what its first call needs
PROBE = """
import importlib, json, sys
from ocirt.cli.main import build_parser
build_parser(sys.argv[1])
for name in sys.argv[2:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""

#: parts of the library that only some verbs use (terminal relay, exec sessions, the CNI
#: client, the reconcilers, registry access, archives, the log readers)
HEAVY = [
    MU + "containers.attach",
    MU + "containers.exec",
    MU + "containers.stdio",
    MU + "containers.networking",
    MU + "cni.attach",
    MU + "containers.logs",
    MU + "reconcile",
    MU + "images.pull",
    MU + "registry.client",
    "tarfile",
    "http.client",
]


def loaded(module: str, *then: str) -> List[str]:
    argv = [sys.executable, "-c", PROBE, module, *then]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


def heavy_in(modules: List[str]) -> List[str]:
    return [h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in modules)]


CASES: Dict[str, List[str]] = {
    # ps: the parser, then the listing itself (two calls of containers.inspect)
    "ps_command": [MU + "containers.inspect"],
    # run, exec and the lifecycle verbs: only the parser; each verb loads its own part
    "container_command": [],
    "logs_command": [],
    "version_command": [],
    "info_command": [],
    "namespace_command": [],
}


@pytest.mark.parametrize("module", sorted(CASES))
def test_command_loads_no_part_it_does_not_use(module: str) -> None:
    modules = loaded(module, *CASES[module])
    assert heavy_in(modules) == [], f"ocirt {module} loads {heavy_in(modules)}"


def test_the_probe_sees_what_a_command_does_load() -> None:
    """The check above is not vacuous: `run -i`'s relay does load the attach part."""
    modules = loaded("container_command", "ocirt.cli.terminal", MU + "containers.attach")
    assert MU + "containers.stdio" in heavy_in(modules)


def test_run_with_the_image_present_loads_no_registry_client() -> None:
    """`run` of a present image plans through the container reconciler: the registry client
    (http.client, hosts.toml, credentials) loads only when a pull makes one."""
    modules = loaded("container_command", MU + "reconcile.container")
    unused = [MU + "registry.client", MU + "hosts_toml.reader", MU + "registry.auth", "http.client"]
    assert [m for m in unused if m in modules] == []
