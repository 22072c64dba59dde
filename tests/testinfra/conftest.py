"""testinfra suites: checks of a machine's state, run against Molecule's VMs or any host.

They need a target and are not collected in the plain test run (which has none):

    molecule verify -s default                     (Molecule passes --connection=ansible)
    .venv/bin/pytest tests/testinfra --hosts=local://
    .venv/bin/pytest tests/testinfra --hosts=ssh://root@node1 --ssh-identity-file=KEY

What a check expects comes from the Ansible variables of the host (Molecule's inventory, see
molecule/default/molecule.yml: ocirt_test_config, ocirt_test_namespace, ...), or from a JSON
file named by OCIRT_TESTINFRA_VARS for other targets. A check whose variable is not declared
fails, so a misspelt name cannot pass as "not applicable"; a host says that a check does not
apply to it by declaring the variable null, which skips the check.

A port of the node that a check reaches from the controller (a published container port)
goes through the port Molecule's VM forwards to it: ``forwarded`` reads it from the
instance config (``forwarded_ports``, written by molecule/vm/vmctl.py); any other target is
reached on its own address and that port.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional, Tuple

import pytest
import yaml

HERE = Path(__file__).resolve().parent


def _targeted(config: pytest.Config) -> bool:
    opt = config.option
    return bool(getattr(opt, "hosts", None) or getattr(opt, "connection", None))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> Optional[bool]:
    """Without a target the suite is not collected at all (rather than reported skipped)."""
    if _targeted(config) or not collection_path.name.startswith("test_"):
        return None
    return True


class Declared(dict):
    """The variables of the target; ``need`` is how a check reads the one it is driven by."""

    def need(self, name: str) -> Any:
        if name not in self:
            pytest.fail(
                f"{name} is not declared for this host (declare it null if it does not apply)"
            )
        if self[name] is None:
            pytest.skip(f"{name} is null: the check does not apply to this host")
        return self[name]


@pytest.fixture(scope="module")
def declared(host: Any) -> Declared:
    """The state the target was converged to (Ansible variables or OCIRT_TESTINFRA_VARS)."""
    if host.backend.HAS_RUN_ANSIBLE:
        return Declared(host.ansible.get_variables())
    path = os.environ.get("OCIRT_TESTINFRA_VARS")
    return Declared(json.loads(Path(path).read_text()) if path else {})


@pytest.fixture(scope="module")
def forwarded(host: Any) -> Callable[[int], Tuple[str, int]]:
    """forwarded(port) -> (address, port) on which the controller reaches that TCP port of
    the target."""
    name = host.backend.get_hostname()
    path = os.environ.get("MOLECULE_INSTANCE_CONFIG")
    instances = yaml.safe_load(Path(path).read_text()) if path and Path(path).exists() else []
    mine = [i for i in instances or [] if i.get("instance") == name]

    def reach(port: int) -> Tuple[str, int]:
        if not mine:
            return name, port
        ports = mine[0].get("forwarded_ports") or {}
        if str(port) not in ports:
            pytest.fail(
                f"port {port} of {name} is not forwarded: add it to the platform's "
                f"forward_ports (forwarded: {ports})"
            )
        return mine[0]["address"], int(ports[str(port)])

    return reach


def _eventually(probe: Callable[[], Optional[str]], seconds: float) -> Optional[str]:
    deadline = time.monotonic() + seconds
    while True:
        wrong = probe()
        if wrong is None or time.monotonic() > deadline:
            return wrong
        time.sleep(3)


@pytest.fixture(scope="session")
def eventually() -> Callable[[Callable[[], Optional[str]], float], Optional[str]]:
    """eventually(probe, seconds): run ``probe`` (None: passed, else what is wrong) every
    3 s until it passes or the time is up; its last complaint, or None."""
    return _eventually
