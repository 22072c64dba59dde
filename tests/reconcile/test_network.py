"""The network planner from data files, no daemon and no plugins: desired + observed ->
actions with reasons, the no-op reason, or the refusal (data/network/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import network
from reconcile.cases import checked_plan

CASES = sorted((Path(__file__).parent / "data" / "network").glob("*.json"))


def _plan(case: dict):
    desired = network.DesiredNetwork(**case["desired"])
    desired.validate()
    return network.decide(desired, network.ObservedNetworks(**case["observed"]))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    plan = checked_plan(case, _plan)
    if plan is not None and "after" in case:
        assert plan.after == case["after"]
