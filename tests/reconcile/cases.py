"""What every planner case file checks: the refusal it expects, or the actions with their
reasons and the no-op reason. Each test module adds only how it builds its plan."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import Plan


def checked_plan(case: Dict[str, Any], plan: Callable[[Dict[str, Any]], Plan]) -> Optional[Plan]:
    """The case's plan with its actions and no-op reason checked; None for a refusal case
    (the error text checked)."""
    if "error" in case:
        with pytest.raises(OcirtError) as raised:
            plan(case)
        assert case["error"] in str(raised.value)
        return None
    planned = plan(case)
    assert planned.summaries() == case.get("actions", [])
    assert planned.noop_reason == case.get("noop", "")
    return planned
