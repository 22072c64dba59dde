"""The one contract of every reconciler: ``plan(...) -> Plan`` and ``apply(..., plan) -> Applied``.

A plan is the decision: what a real run would do, each action with its reason, or the reason
nothing is to be done. Check mode shows a plan without applying it; a real run applies the
same plan, so the two can never disagree. ``before``/``after`` are what diff mode shows.
A plan that contains others (the image plan inside a container plan, one plan per container
of a set) holds them as ``children``, typed plans themselves, never live objects.

Plans are plain data: no connection, no callbacks. Front ends shape them into their own
results (``_ansible/results.py`` for modules, the CLI's output module), so nothing in
``reconcile/`` knows how Ansible or a terminal wants a result to look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, TypedDict


class ActionSummary(TypedDict):
    action: str
    target: str
    reason: str


@dataclass
class Action:
    """One step of a plan: a verb (create, update_labels, delete, ...), its target and why."""

    kind: str
    target: str
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> ActionSummary:
        return {"action": self.kind, "target": self.target, "reason": self.reason}


@dataclass
class Plan:
    """What a real run would do to one subject (a namespace, an image, a file, ...)."""

    actions: List[Action]
    before: Any = None
    after: Any = None
    noop_reason: str = ""  # why nothing is to be done; empty while there are actions
    children: List[Plan] = field(default_factory=list)
    subject: str = ""  # what the plan is about, for messages: "namespace builds"

    @property
    def changed(self) -> bool:
        return bool(self.actions) or any(child.changed for child in self.children)

    def all_actions(self) -> List[Action]:
        """Children's actions first (an image is pulled before its container is created)."""
        found: List[Action] = []
        for child in self.children:
            found.extend(child.all_actions())
        found.extend(self.actions)
        return found

    def summaries(self) -> List[ActionSummary]:
        return [a.summary() for a in self.all_actions()]

    def diff(self) -> Dict[str, Any]:
        return {"before": self.before or {}, "after": self.after or {}}


@dataclass
class Applied:
    """What applying a plan did: the state after it and the extras a front end reports."""

    plan: Plan
    after: Any = None
    changed: Optional[bool] = None  # None: as the plan said
    details: Dict[str, Any] = field(default_factory=dict)  # restart_required, pid, ...

    @property
    def did_change(self) -> bool:
        return self.plan.changed if self.changed is None else self.changed


def nothing_to_do(reason: str, state: Any = None, subject: str = "") -> Plan:
    """A plan without actions that says why (pyinfra's ``host.noop``)."""
    return Plan([], before=state, after=state, noop_reason=reason, subject=subject)
