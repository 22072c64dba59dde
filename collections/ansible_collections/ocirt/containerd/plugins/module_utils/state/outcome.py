"""The one shape in which every front end reports a state plan and its result.

``report(plan, mode)`` is what ``ocirt diff --json``, ``ocirt apply --json`` and the state
module return (documented in README, "The JSON shape"): plain data built field by field
from the plans, never a plan serialised whole, since image plans carry registry
credentials. ``summary_lines`` is its readable form: one line per entry that changes, with
what changes and why; ``diff_lines`` an entry's before/after as a unified diff.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, Dict, List, TypedDict

from ..reconcile.container import ContainerPlan
from ..reconcile.plan import ActionSummary, Plan
from .document import StateDocument
from .reconcile import CONTAINERS, StatePlan, Step

FORMAT = "ocirt.state/v1"
MODES = ("diff", "check", "apply")


class EntryOutcome(TypedDict):
    kind: str  # namespace, image, container
    name: str
    namespace: str  # "" for a namespace entry
    path: str  # where the entry is in the document (containers[3]); "" if not listed
    declared: bool  # False: an image only containers name, a container pruned
    changed: bool
    change: str  # create, recreate, remove, start, pull, tag, update_labels, ...; "" for none
    reason: str  # why; for an entry without change, why nothing is to be done
    actions: List[ActionSummary]
    before: Any  # null unless the entry changes
    after: Any


class StateReport(TypedDict):
    format: str
    mode: str  # diff, check or apply
    changed: bool
    entries: List[EntryOutcome]
    actions: List[ActionSummary]
    counts: Dict[str, int]  # changed, unchanged


#: a pod's sandbox is made and removed as a container is
_SAME_CHANGE = {"run_pod": "create", "remove_pod": "remove"}


def change_of(plan: Plan) -> str:
    kinds = list(dict.fromkeys(_SAME_CHANGE.get(a.kind, a.kind) for a in plan.actions))
    if "create" in kinds:  # then started, or not, as its state says
        return "recreate" if "remove" in kinds else "create"
    return "+".join(kinds)


def _entry(step: Step, plan: Plan, kind: str, name: str, path: str) -> EntryOutcome:
    own = plan.actions
    reason = own[0].reason if own else plan.noop_reason
    if not own and plan.changed:  # only its image changes: the container is as declared
        reason = "its image changes: " + "; ".join(a.reason for a in plan.all_actions())
    return {
        "kind": kind,
        "name": name,
        "namespace": step.namespace,
        "path": path,
        "declared": bool(path),
        "changed": bool(own),
        "change": change_of(plan),
        "reason": reason,
        "actions": [a.summary() for a in own],
        # what diff mode shows, for the entries that change (a 50-container no-op result
        # stays small: Ansible copies every result through its templating)
        "before": plan.before if plan.changed else None,
        "after": plan.after if plan.changed else None,
    }


def _name(plan: Plan) -> str:
    return plan.subject.split(" ", 1)[-1]


def entries(plan: StatePlan, paths: Dict[str, str]) -> List[EntryOutcome]:
    """Every entry, in the order they are applied."""
    found = []
    for step in plan.steps:
        if step.kind != CONTAINERS:
            if not step.declared and not step.plan.changed:
                continue  # an image only containers name is shown when it changes
            path = step.path if step.declared else ""
            found.append(_entry(step, step.plan, step.kind, _name(step.plan), path))
            found[-1]["reason"] += "".join(
                f"; image {name} from {where}" for name, where in step.provided.items()
            )
            continue
        for child in step.plan.children:
            name = child.desired.name if isinstance(child, ContainerPlan) and child.desired else ""
            path = paths.get(f"{step.namespace}/{name}", "")
            found.append(_entry(step, child, "container", name or _name(child), path))
    return found


def report(plan: StatePlan, document: StateDocument, mode: str) -> StateReport:
    """The plan (mode ``diff`` or ``check``) or what was applied (``apply``)."""
    paths = {f"{e.namespace}/{e.desired.name}": e.path for e in document.containers}
    listed = entries(plan, paths)
    changed = sum(1 for e in listed if e["changed"])
    return {
        "format": FORMAT,
        "mode": mode,
        "changed": plan.changed,
        "entries": listed,
        "actions": plan.summaries(),
        "counts": {"changed": changed, "unchanged": len(listed) - changed},
    }


def label(entry: EntryOutcome, default_namespace: str) -> str:
    where = entry["namespace"]
    name = entry["name"] if where in ("", default_namespace) else f"{where}/{entry['name']}"
    return f"{entry['kind']} {name}"


def summary_lines(result: StateReport, default_namespace: str) -> List[str]:
    """``container web: recreate (configuration differs: memory)``, one per changed entry,
    then how many are as declared."""
    lines = [
        f"{label(e, default_namespace)}: {e['change']} ({e['reason']})"
        for e in result["entries"]
        if e["changed"]
    ]
    unchanged = result["counts"]["unchanged"]
    entries = f"{unchanged} {'entry' if unchanged == 1 else 'entries'}"
    if not lines:
        lines.append(f"nothing to do: all {entries} are as declared")
    elif unchanged:
        lines.append(f"{entries} unchanged")
    return lines


def _json_lines(value: Any) -> List[str]:
    if value is None:
        return []
    return json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()


def diff_lines(entry: EntryOutcome, default_namespace: str) -> List[str]:
    """What diff mode shows for a changed entry: its before/after JSON, unified."""
    name = label(entry, default_namespace)
    return list(
        difflib.unified_diff(
            _json_lines(entry["before"]),
            _json_lines(entry["after"]),
            f"{name} (before)",
            f"{name} (after)",
            lineterm="",
        )
    )
