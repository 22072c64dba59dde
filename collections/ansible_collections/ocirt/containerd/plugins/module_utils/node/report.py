"""A node document's result in the ``ocirt.state/v1`` shape of ``state/outcome.py``: one
entry per section, config.toml and hosts.toml shown line by line (masked), so a diff of
them is a diff of the files."""

from __future__ import annotations

import difflib
from typing import Any, List

from ..reconcile.plan import Plan
from ..state import outcome
from .sections import Section


def _entry(section: Section) -> outcome.EntryOutcome:
    plan = section.plan
    actions = plan.all_actions()
    return {
        "kind": section.kind,
        "name": section.name,
        "namespace": "",
        "path": section.path,
        "declared": True,
        "changed": plan.changed,
        "change": outcome.change_of(Plan(actions)),
        "reason": actions[0].reason if actions else plan.noop_reason,
        "actions": [a.summary() for a in actions],
        "before": section.shown[0] if plan.changed else None,
        "after": section.shown[1] if plan.changed else None,
    }


def _text_lines(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(x, str) for x in value))


def diff_lines(entry: outcome.EntryOutcome, default_namespace: str = "") -> List[str]:
    """An entry's before/after as a unified diff: a file's lines as they are (config.toml,
    hosts.toml), anything else as ``outcome.diff_lines`` shows it."""
    before, after = entry["before"], entry["after"]
    if not (_text_lines(before) and _text_lines(after)):
        return outcome.diff_lines(entry, default_namespace)
    name = outcome.label(entry, default_namespace)
    return list(
        difflib.unified_diff(
            before or [], after or [], f"{name} (before)", f"{name} (after)", lineterm=""
        )
    )


def report(sections: List[Section], mode: str) -> outcome.StateReport:
    entries = [_entry(s) for s in sections]
    changed = sum(1 for e in entries if e["changed"])
    return {
        "format": outcome.FORMAT,
        "mode": mode,
        "changed": bool(changed),
        "entries": entries,
        "actions": [a for s in sections for a in s.plan.summaries()],
        "counts": {"changed": changed, "unchanged": len(entries) - changed},
    }
