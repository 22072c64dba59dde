"""Namespaces: present with the declared labels, or absent (only when empty).

``observe`` asks containerd (the namespace, and what it holds when it should go);
``decide`` is a pure function of the desired and the observed namespace, so the planner
is tested from data files without a daemon (tests/reconcile/test_namespace.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from ..api import namespaces
from ..api.identifiers import validate_identifier
from ..api.namespaces import NamespaceRecord
from ..common.errors import FailedPrecondition, InvalidInput, NotFound
from ..common.options import Option, OptionTable
from ..report.namespace_contents import NamespaceContents, namespace_contents
from ..transport.connection import Connection
from .plan import Action, Applied, Plan, nothing_to_do

STATES = ("present", "absent")
MAX_LABEL_BYTES = 4096  # containerd's limit on a label's name and value together


class NamespaceNotEmpty(FailedPrecondition):
    """Deleting would need containerd to drop resources that still live in the namespace."""


def _check_name(_option: str, value: Any) -> None:
    validate_identifier(value, "namespace name")


def _check_labels(_option: str, labels: Any) -> None:
    for key, value in labels.items():
        if not isinstance(key, str) or not key:
            raise InvalidInput("label names must be non-empty strings")
        if not isinstance(value, str):
            raise InvalidInput(f"label {key!r} must have a string value, got {value!r}")
        if len(key) + len(value) > MAX_LABEL_BYTES:
            raise InvalidInput(f"label {key!r}: name and value exceed containerd's 4096 bytes")


NAMESPACE_OPTIONS = OptionTable(
    "namespace",
    [
        Option("name", "str", "Name of the namespace.", required=True, validator=_check_name),
        Option(
            "state",
            "str",
            "present creates the namespace and sets the labels; absent deletes it.",
            default="present",
            choices=STATES,
        ),
        Option("labels", "dict", "Labels to set.", default={}, validator=_check_labels),
        Option("purge_labels", "bool", "Remove labels that are not listed.", default=False),
    ],
)


@dataclass
class DesiredNamespace:
    name: str
    state: str = "present"
    labels: Dict[str, str] = field(default_factory=dict)
    purge_labels: bool = False  # remove labels that are not declared

    def validate(self) -> None:
        NAMESPACE_OPTIONS.check(vars(self))


@dataclass
class ObservedNamespace:
    """The namespace as containerd has it (None: it does not exist), and what it holds
    (looked at only when it should be deleted)."""

    namespace: Optional[NamespaceRecord] = None
    contents: Optional[NamespaceContents] = None


def observe(conn: Connection, desired: DesiredNamespace) -> ObservedNamespace:
    try:
        current: Optional[NamespaceRecord] = namespaces.get_namespace(conn, desired.name)
    except NotFound:
        return ObservedNamespace()
    contents = None
    if desired.state == "absent":
        contents = namespace_contents(conn, desired.name)
    return ObservedNamespace(current, contents)


def _label_changes(desired: DesiredNamespace, have: Mapping[str, str]) -> Dict[str, Optional[str]]:
    """Label -> new value, None for a label to remove."""
    changes: Dict[str, Optional[str]] = {
        k: v for k, v in desired.labels.items() if have.get(k) != v
    }
    if desired.purge_labels:
        changes.update({k: None for k in have if k not in desired.labels})
    return changes


def _describe_changes(changes: Mapping[str, Optional[str]], have: Mapping[str, str]) -> str:
    return ", ".join(
        f"label {k} {'removed' if v is None else ('added' if k not in have else 'changed')}"
        for k, v in sorted(changes.items())
    )


def _decide_absent(desired: DesiredNamespace, observed: ObservedNamespace) -> Plan:
    subject = f"namespace {desired.name}"
    if observed.namespace is None:
        return nothing_to_do("namespace does not exist", None, subject)
    contents = observed.contents or NamespaceContents()
    if not contents.empty:
        raise NamespaceNotEmpty(
            f"namespace {desired.name!r} is not empty, so it is left in place: it holds "
            f"{contents.describe()}. Remove those first."
        )
    action = Action("delete", desired.name, "namespace exists")
    return Plan([action], before=observed.namespace, subject=subject)


def decide(desired: DesiredNamespace, observed: ObservedNamespace) -> Plan:
    """The plan for ``desired`` given what containerd has (pure)."""
    if desired.state == "absent":
        return _decide_absent(desired, observed)
    subject = f"namespace {desired.name}"
    current = observed.namespace
    if current is None:
        after = {"name": desired.name, "labels": dict(desired.labels)}
        action = Action(
            "create", desired.name, "namespace does not exist", {"labels": dict(desired.labels)}
        )
        return Plan([action], before=None, after=after, subject=subject)
    have = current["labels"]
    changes = _label_changes(desired, have)
    if not changes:
        return nothing_to_do("namespace exists with the declared labels", current, subject)
    after_labels = {k: v for k, v in {**have, **changes}.items() if v is not None}
    reason = _describe_changes(changes, have)
    return Plan(
        [Action("update_labels", desired.name, reason, {"labels": changes})],
        before=current,
        after={"name": desired.name, "labels": after_labels},
        subject=subject,
    )


def plan(conn: Connection, desired: DesiredNamespace) -> Plan:
    desired.validate()
    return decide(desired, observe(conn, desired))


def apply(conn: Connection, plan: Plan) -> Applied:
    """Carry out the plan; ``after`` is the namespace as it now is (None once deleted)."""
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
    return Applied(plan, after=result)
