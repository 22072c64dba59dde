"""Namespaces: present with the declared labels, or absent (only when empty)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from ..api import namespaces
from ..api.identifiers import validate_identifier
from ..common.errors import FailedPrecondition, InvalidInput, NotFound
from ..report.namespace_contents import describe_contents, is_empty, namespace_contents
from ..transport.connection import Connection
from .plan import Action, Plan

STATES = ("present", "absent")


class NamespaceNotEmpty(FailedPrecondition):
    """Deleting would need containerd to drop resources that still live in the namespace."""


@dataclass
class DesiredNamespace:
    name: str
    state: str = "present"
    labels: Dict[str, str] = field(default_factory=dict)
    purge_labels: bool = False  # remove labels that are not declared

    def validate(self) -> None:
        validate_identifier(self.name, "namespace name")
        if self.state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}, got {self.state!r}")
        for key, value in self.labels.items():
            if not isinstance(key, str) or not key:
                raise InvalidInput("label names must be non-empty strings")
            if not isinstance(value, str):
                raise InvalidInput(f"label {key!r} must have a string value, got {value!r}")
            if len(key) + len(value) > 4096:
                raise InvalidInput(f"label {key!r}: name and value exceed containerd's 4096 bytes")


def _current(conn: Connection, name: str) -> Optional[Dict[str, Any]]:
    try:
        return namespaces.get_namespace(conn, name)
    except NotFound:
        return None


def plan_namespace(conn: Connection, desired: DesiredNamespace) -> Plan:
    desired.validate()
    current = _current(conn, desired.name)
    if desired.state == "absent":
        if current is None:
            return Plan([])
        contents = namespace_contents(conn, desired.name)
        if not is_empty(contents):
            raise NamespaceNotEmpty(
                f"namespace {desired.name!r} is not empty, so it is left in place: it holds "
                f"{describe_contents(contents)}. Remove those first."
            )
        return Plan([Action("delete", desired.name, "namespace exists")], before=current)

    if current is None:
        after = {"name": desired.name, "labels": dict(desired.labels)}
        action = Action(
            "create", desired.name, "namespace does not exist", {"labels": dict(desired.labels)}
        )
        return Plan([action], before=None, after=after)

    have = current["labels"]
    changes: Dict[str, Optional[str]] = {
        k: v for k, v in desired.labels.items() if have.get(k) != v
    }
    if desired.purge_labels:
        changes.update({k: None for k in have if k not in desired.labels})
    if not changes:
        return Plan([], before=current, after=current)
    after_labels = {k: v for k, v in {**have, **changes}.items() if v is not None}
    reason = ", ".join(
        f"label {k} {'removed' if v is None else ('added' if k not in have else 'changed')}"
        for k, v in sorted(changes.items())
    )
    return Plan(
        [Action("update_labels", desired.name, reason, {"labels": changes})],
        before=current,
        after={"name": desired.name, "labels": after_labels},
    )


def apply_namespace(conn: Connection, plan: Plan) -> Optional[Dict[str, Any]]:
    """Carry out the plan; returns the namespace as it now is (None once deleted)."""
    result = plan.after
    for action in plan.actions:
        if action.kind == "create":
            result = namespaces.create_namespace(conn, action.target, action.details["labels"])
        elif action.kind == "update_labels":
            result = namespaces.update_labels(conn, action.target, action.details["labels"])
        elif action.kind == "delete":
            try:
                namespaces.delete_namespace(conn, action.target)
            except FailedPrecondition as exc:  # something arrived since the plan was made
                raise NamespaceNotEmpty(
                    f"namespace {action.target!r} is not empty: {exc}"
                ) from None
            result = None
    return result
