"""The namespace planner from data files, no daemon: desired + observed -> actions with
reasons, the no-op reason, or the refusal (data/namespace/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import namespace
from ansible_collections.ocirt.containerd.plugins.module_utils.report.namespace_contents import (
    NamespaceContents,
)
from reconcile.cases import checked_plan

CASES = sorted((Path(__file__).parent / "data" / "namespace").glob("*.json"))


def _observed(data: dict) -> namespace.ObservedNamespace:
    contents = data.get("contents")
    return namespace.ObservedNamespace(
        namespace=data.get("namespace"),
        contents=NamespaceContents(**contents) if contents is not None else None,
    )


def _plan(case: dict):
    desired = namespace.DesiredNamespace(**case["desired"])
    desired.validate()
    return namespace.decide(desired, _observed(case["observed"]))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    plan = checked_plan(case, _plan)
    if plan is None:
        return
    if "after" in case:
        assert plan.after == case["after"]


def test_every_empty_plan_says_why() -> None:
    for path in CASES:
        case = json.loads(path.read_text())
        if "error" not in case and not case.get("actions"):
            assert _plan(case).noop_reason, path.name
