"""A container: started, present, stopped or absent, recreated only on a real difference.

The desired configuration is canonicalised (containers/options.py) and compared with the
canonical form stored on the container when ocirt created it, together with the digest of
the image the name points at now. The image itself is planned by the image reconciler, so a
container's `pull` behaves exactly like the image module's; its plan is the container
plan's child.

``observe`` asks containerd (and the image reconciler); ``decide`` is a pure function of
the declaration and what was observed, so planner tests build ``ObservedContainer`` from
data. ``plan`` is the two; ``apply`` carries a plan out.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Set

from ..api import containers as containers_api
from ..api import tasks
from ..common.errors import InvalidInput, OcirtError
from ..containers import labels as L
from ..containers import lifecycle, restart_monitor
from ..containers.create import create_container
from ..containers.options import ContainerOptions, canonical, config_hash
from ..containers.paths import Paths
from ..containers.record import (
    ContainerNotFound,
    get_container,
    is_managed,
    labels_of,
    stored_config,
)
from ..containers.state import status_of
from ..images.pull import RegistryAccess
from ..transport.connection import Connection
from . import image as image_reconciler
from .plan import Action, Applied, Plan

STATES = ("started", "present", "stopped", "absent")
RUNNING = ("running", "paused")
Record = Dict[str, Any]  # a containers.v1.Container
Task = Dict[str, Any]  # a tasks.v1 Process


@dataclass
class DesiredContainer:
    name: str
    options: Optional[ContainerOptions] = None  # not needed for state=absent
    state: str = "started"
    recreate: bool = False  # recreate even when nothing differs
    restart: bool = False  # restart a running container (when it is not recreated anyway)
    pull: str = "missing"
    adopt: bool = False  # take over (recreate, remove) a container ocirt did not create
    stop_timeout: Optional[float] = None
    access: RegistryAccess = field(default_factory=RegistryAccess)
    paths: Paths = field(default_factory=Paths)

    def validate(self) -> None:
        if self.state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}, got {self.state!r}")
        if self.state != "absent" and self.options is None:
            raise InvalidInput(f"container {self.name}: image is required unless state=absent")

    def wanted(self) -> ContainerOptions:
        """The options of a container that is to exist."""
        if self.options is None:
            raise InvalidInput(f"container {self.name}: image is required unless state=absent")
        return self.options

    def image(self) -> image_reconciler.DesiredImage:
        """The image, as the image reconciler is to have it."""
        options = self.wanted()
        return image_reconciler.DesiredImage(
            name=options.image, pull=self.pull, snapshotter=options.snapshotter, access=self.access
        )


# -- observe ----------------------------------------------------------------------------------


@dataclass
class ObservedContainer:
    """What containerd has of one container (record and task: None if there is none) and
    the image reconciler's plan for its image (None when the container is to be absent)."""

    record: Optional[Record] = None
    task: Optional[Task] = None
    image: Optional[Plan] = None


@dataclass
class Listing:
    """containerd's containers and tasks of one namespace, listed once (two calls)."""

    records: Dict[str, Record]
    tasks: Dict[str, Task]

    def of(self, name: str, image: Optional[Plan] = None) -> ObservedContainer:
        return ObservedContainer(self.records.get(name), self.tasks.get(name), image)


def list_namespace(conn: Connection) -> Listing:
    records = {c["id"]: c for c in containers_api.list_containers(conn)}
    by_container = {(t.get("container_id") or t["id"]): t for t in tasks.list_tasks(conn)}
    return Listing(records, by_container)


def plan_image(conn: Connection, desired: DesiredContainer) -> Plan:
    """The image reconciler's plan for the container's image."""
    return image_reconciler.plan(conn, desired.image())


def observe(conn: Connection, desired: DesiredContainer) -> ObservedContainer:
    """One container: its record and task by id (two calls whatever the namespace holds;
    the set reconcilers list the namespace once instead, see list_namespace)."""
    desired.validate()
    image = plan_image(conn, desired) if desired.state != "absent" else None
    try:
        record: Optional[Record] = get_container(conn, desired.name)
    except ContainerNotFound:
        record = None
    task = tasks.get_process(conn, desired.name) if record is not None else None
    return ObservedContainer(record, task, image)


# -- decide -----------------------------------------------------------------------------------


@dataclass
class ContainerPlan(Plan):
    """A container's plan, with the declaration it carries out (``apply`` needs no more)."""

    desired: Optional[DesiredContainer] = None


def _differences(stored: Optional[Dict[str, Any]], wanted: Dict[str, Any]) -> List[str]:
    stored = stored or {}
    changed = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
    return ["image digest" if k == "image_digest" else k for k in changed]


def _final_status(desired: DesiredContainer, status: str, fresh: bool) -> str:
    """The status the container will have once the plan is carried out."""
    if desired.state == "started":
        return "running"
    if fresh:
        return "running" if desired.state == "present" and status in RUNNING else "created"
    if desired.state == "stopped" and status in RUNNING:
        return "stopped"
    return status


def _refuse_foreign(desired: DesiredContainer, record: Optional[Record], status: str) -> None:
    if record is None or is_managed(record) or desired.adopt:
        return
    raise InvalidInput(
        f"container {desired.name} exists but ocirt did not create it (image "
        f"{record.get('image') or 'none'}, {status}); it is left alone: set adopt=true to "
        "let ocirt recreate or remove it"
    )


def _recreate_reason(
    desired: DesiredContainer, record: Optional[Record], wanted: Dict[str, Any], digest: str
) -> Optional[str]:
    """Why the container must be (re)created, or None."""
    if record is None:
        return "container does not exist"
    if not is_managed(record):
        return "adopting a container ocirt did not create"
    if desired.recreate:
        return "recreate=true"
    if labels_of(record).get(L.CONFIG_HASH) != config_hash(desired.wanted(), digest):
        return "configuration differs: " + ", ".join(_differences(stored_config(record), wanted))
    return None


def _recreate(desired: DesiredContainer, exists: bool, reason: str, final: str) -> List[Action]:
    actions = [Action("remove", desired.name, reason)] if exists else []
    actions.append(Action("create", desired.name, reason))
    if final == "running":
        actions.append(Action("start", desired.name, f"state={desired.state}"))
    return actions


def _converge(desired: DesiredContainer, record: Record, status: str, final: str) -> List[Action]:
    """The one action that brings an unchanged container to its final status, if any."""
    name = desired.name
    if final == "running" and status not in RUNNING:
        return [Action("start", name, f"container is {status}")]
    if final == "stopped" and status in RUNNING:
        return [Action("stop", name, f"container is {status}")]
    if desired.restart and status in RUNNING:
        return [Action("restart", name, "restart=true")]
    if final == "running" and restart_monitor.neglected(record):
        reason = "its restart policy is not handed to containerd's restart monitor"
        return [Action("monitor", name, reason)]
    return []


def _decide_absent(
    desired: DesiredContainer, observed: ObservedContainer, status: str
) -> ContainerPlan:
    subject = f"container {desired.name}"
    if observed.record is None:
        return ContainerPlan(
            [], noop_reason=f"{subject} does not exist", subject=subject, desired=desired
        )
    before = {"status": status, "config": stored_config(observed.record)}
    action = Action("remove", desired.name, f"container exists ({status})")
    return ContainerPlan([action], before=before, subject=subject, desired=desired)


def decide(desired: DesiredContainer, observed: ObservedContainer) -> ContainerPlan:
    """The plan for one container, from what was observed alone."""
    desired.validate()
    record = observed.record
    status = status_of(record, observed.task) if record is not None else "absent"
    _refuse_foreign(desired, record, status)
    if desired.state == "absent":
        return _decide_absent(desired, observed, status)
    if observed.image is None or not observed.image.after:
        raise InvalidInput(
            f"container {desired.name}: no plan for its image {desired.wanted().image}"
        )
    digest = observed.image.after["digest"]
    wanted = canonical(desired.wanted(), digest)
    reason = _recreate_reason(desired, record, wanted, digest)
    final = _final_status(desired, status, fresh=reason is not None)
    if reason is not None:
        actions = _recreate(desired, record is not None, reason, final)
    else:
        actions = _converge(desired, record or {}, status, final)
    subject = f"container {desired.name}"
    plan = ContainerPlan(
        actions,
        before={"status": status, "config": stored_config(record)} if record else None,
        after={"status": final, "config": wanted},
        children=[observed.image],
        subject=subject,
        desired=desired,
    )
    if not plan.changed:
        plan.noop_reason = f"{subject} is {status}, with the declared configuration and image"
    return plan


def plan(conn: Connection, desired: DesiredContainer) -> ContainerPlan:
    return decide(desired, observe(conn, desired))


# -- apply ------------------------------------------------------------------------------------


class ContainerApplyFailed(OcirtError):
    """An apply that failed part-way: results must say ``changed`` when the machine was
    changed before the failure (a pulled image, a removed container, a stopped task), not
    the ``changed: false`` of a failure that did nothing. ``result`` holds what a front end
    reports besides (the actions planned)."""

    def __init__(
        self, message: str, changed: bool, result: Optional[Dict[str, Any]] = None
    ) -> None:
        super().__init__(message)
        self.changed = changed
        self.result = result or {}


def _carry_out(conn: Connection, desired: DesiredContainer, action: Action) -> Any:
    """One action of a container plan; what the lifecycle call reported."""
    name = desired.name
    if action.kind == "remove":
        return lifecycle.remove(conn, name, force=True)
    if action.kind == "create":
        return create_container(conn, name, desired.wanted(), desired.paths)
    if action.kind == "start":
        return {"pid": lifecycle.start(conn, name)["pid"]}
    if action.kind == "stop":
        return lifecycle.stop(conn, name, timeout=desired.stop_timeout)
    if action.kind == "restart":
        return {"pid": lifecycle.restart(conn, name, timeout=desired.stop_timeout)["pid"]}
    if action.kind == "monitor":
        lifecycle.hand_to_monitor(conn, name)
        return {"status": "running"}
    raise InvalidInput(f"container {name}: no such action {action.kind!r}")


@contextmanager
def _failing_as(plan: Plan, kind: str, done: Dict[str, Any], undone: bool) -> Iterator[None]:
    """A failed step as ContainerApplyFailed: changed if anything was done before it, or if
    the step itself may have changed something when it failed (``undone``: pulls, creates
    and starts clean up after themselves; a stop, restart or remove may have signalled or
    deleted something already)."""
    try:
        yield
    except OcirtError as exc:
        before = f" after {', '.join(done)}" if done else ""
        raise ContainerApplyFailed(
            f"{plan.subject}: {kind} failed{before}: {exc}",
            changed=bool(done) or not undone,
            result={"actions": plan.summaries()},
        ) from exc


def _desired_of(plan: Plan) -> DesiredContainer:
    desired = plan.desired if isinstance(plan, ContainerPlan) else None
    if desired is None:
        raise InvalidInput(f"{plan.subject or 'the plan'} is not a container plan")
    return desired


def carry_out(conn: Connection, plan: Plan, images_applied: Set[int]) -> Applied:
    """``apply``, skipping the image plans (by id) already carried out for other containers
    of a set that share them."""
    desired = _desired_of(plan)
    done: Dict[str, Any] = {}
    for image in plan.children:
        if image.changed and id(image) not in images_applied:
            with _failing_as(plan, image.all_actions()[0].kind, done, undone=True):
                done["image"] = image_reconciler.apply(conn, image).details
            images_applied.add(id(image))
    for action in plan.actions:
        undone = action.kind in ("create", "start", "monitor")
        with _failing_as(plan, action.kind, done, undone):
            done[action.kind] = _carry_out(conn, desired, action)
    return Applied(plan, details=done)


def apply(conn: Connection, plan: Plan) -> Applied:
    """Carry out the plan; ``details`` has what each step reported, by action (``image``
    for the image plan). Raises ContainerApplyFailed naming the action that failed and what
    was done before it."""
    return carry_out(conn, plan, set())
