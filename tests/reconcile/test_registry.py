"""The hosts.toml planner on recorded data: a registry host's desired settings + the files
its directory holds -> the actions with their reasons, or the reason nothing is to be done.
No daemon, no file written.

Each file in data/registry/ is one case (YAML):
  desired:  host, state, server, mirrors [{url, capabilities, ...}], header, skip_verify
  observed: files {name: {data (text) | rendered: true (what the plan would write),
            mode (an integer), owner [uid, gid]}}; absent: an empty directory
  expected: actions [{action, reason (a substring)}] or noop_reason (a substring),
            writes / removals (file names)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.writer import (
    Endpoint,
    HostsConfig,
    Mirror,
    render,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import registry

DATA = Path(__file__).parent / "data" / "registry"
CONFIG_PATH = "/nonexistent-ocirt/certs.d"
ENDPOINT_KEYS = ("capabilities", "skip_verify", "header", "override_path")


def hosts_config(data: Dict[str, Any]) -> HostsConfig:
    def endpoint(values: Dict[str, Any]) -> Dict[str, Any]:
        return {k: values[k] for k in ENDPOINT_KEYS if k in values}

    return HostsConfig(
        host=data["host"],
        server=data.get("server"),
        endpoint=Endpoint(**endpoint(data)),
        mirrors=[Mirror(url=m["url"], **endpoint(m)) for m in data.get("mirrors", [])],
    )


def observed(config: HostsConfig, files: Dict[str, Any]) -> registry.ObservedHosts:
    rendered = {f.name: f for f in render(config, CONFIG_PATH)}
    seen = {}
    for name, spec in files.items():
        if spec.get("rendered"):
            data, mode = rendered[name].data, spec.get("mode", rendered[name].mode)
        else:
            data, mode = spec["data"].encode(), spec.get("mode", 0o644)
        owner = tuple(spec["owner"]) if "owner" in spec else (0, 0)
        seen[name] = registry.ObservedFile(data, mode, owner)
    return registry.ObservedHosts(seen)


def cases() -> List[Any]:
    return [pytest.param(yaml.safe_load(p.read_text()), id=p.stem)
            for p in sorted(DATA.glob("*.yaml"))]


@pytest.mark.parametrize("case", cases())
def test_registry_plan(case):
    want = case["desired"]
    config = hosts_config(want)
    desired = registry.DesiredHosts(config, CONFIG_PATH, want.get("state", "present"))
    plan = registry.plan(desired, observed(config, case.get("observed", {}).get("files", {})))
    expected = case["expected"]
    got = plan.summaries()
    actions = expected.get("actions", [])
    assert [a["action"] for a in got] == [a["action"] for a in actions], got
    for action, wanted in zip(got, actions):
        assert wanted["reason"] in action["reason"], action
    if not actions:
        assert expected["noop_reason"] in plan.noop_reason
    outcome = plan.after
    if "writes" in expected:
        assert [f.name for f in outcome.writes] == expected["writes"]
    if "removals" in expected:
        assert list(outcome.removals) == expected["removals"]
