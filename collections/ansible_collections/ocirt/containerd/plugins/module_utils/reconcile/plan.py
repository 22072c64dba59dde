"""The plan every reconciler returns: the actions a real run would take, and why.

Check mode shows a plan without applying it; a real run applies the same plan, so the two
can never disagree. ``before``/``after`` are what diff mode shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass
class Action:
    kind: str  # a verb: create, update_labels, delete, ...
    target: str
    reason: str
    details: Dict[str, Any] = field(default_factory=dict)

    def summary(self) -> Dict[str, str]:
        return {"action": self.kind, "target": self.target, "reason": self.reason}


@dataclass
class Plan:
    actions: List[Action]
    before: Any = None
    after: Any = None
    applied: bool = False  # set once carried out, for plans shared by several callers

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    def diff(self) -> Dict[str, Any]:
        return {"before": self.before or {}, "after": self.after or {}}

    def summaries(self) -> List[Dict[str, str]]:
        return [a.summary() for a in self.actions]
