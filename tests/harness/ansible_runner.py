"""Run the collection's modules through real Ansible (ansible-playbook, local connection).

Results come back through Ansible's json callback, so tests see exactly what a playbook
user would register.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MARKER = "OCIRT-RESULT "  # printed by callback_plugins/ocirt_results.py


def ansible_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of the ansible processes: the test's, plus ``extra``."""
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ocirt_results",
            "ANSIBLE_CALLBACK_PLUGINS": str(Path(__file__).parent / "callback_plugins"),
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_LOCAL_TEMP": tempfile.gettempdir(),
        }
    )
    env.update(extra or {})
    return env


def run_playbook(
    tasks: List[Dict[str, Any]],
    check: bool = False,
    diff: bool = False,
    environ: Optional[Dict[str, str]] = None,
) -> List[Dict[str, Any]]:
    """Run the tasks in one play on localhost; return each task's result for localhost."""
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(play, f)  # JSON is YAML
    argv = [str(BIN / "ansible-playbook"), f.name]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=ansible_env(environ),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    finally:
        os.unlink(f.name)
    return _results(proc)


def _results(proc: subprocess.CompletedProcess) -> List[Dict[str, Any]]:
    results = [
        json.loads(line[len(MARKER) :])["result"]
        for line in proc.stdout.splitlines()
        if line.startswith(MARKER)
    ]
    if not results:
        raise AssertionError(f"Ansible reported no task result:\n{proc.stdout}\n{proc.stderr}")
    return results


def run_module(
    module: str,
    check: bool = False,
    diff: bool = False,
    environ: Optional[Dict[str, str]] = None,
    **args: Any,
) -> Dict[str, Any]:
    """One task of ``module`` with ``args``; failures are returned, not raised."""
    task = {"name": module, module: args, "ignore_errors": True}
    return run_playbook([task], check=check, diff=diff, environ=environ)[0]


def run_adhoc(module: str, args: str, environ: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """`ansible localhost -m MODULE -a ARGS`, as a person would type it."""
    proc = subprocess.run(
        [str(BIN / "ansible"), "localhost", "-m", module, "-a", args],
        capture_output=True,
        text=True,
        env=ansible_env(environ),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    return _results(proc)[0]


def run_playbook_file(
    playbook: Path, extra_vars: Optional[Path] = None, inventory: Optional[Path] = None
) -> Tuple[Dict[str, int], str]:
    """ansible-playbook on a file with the default output; returns (localhost's recap counts
    such as {'ok': 9, 'changed': 0, 'failed': 0}, the output). Fails the test on an error."""
    argv = [str(BIN / "ansible-playbook"), str(playbook)]
    if extra_vars:
        argv += ["-e", f"@{extra_vars}"]
    if inventory:
        argv += ["-i", str(inventory)]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        timeout=600,
        env=ansible_env({"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_RESULT_FORMAT": "json"}),
    )
    m = re.search(r"^localhost\s*:\s*(.*)$", proc.stdout, re.M)
    assert m and proc.returncode == 0, f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}, proc.stdout
