"""Containers: started, present, stopped or absent, recreated only on a real difference.

The desired configuration is canonicalised (containers/options.py) and compared with the
canonical form stored on the container when ocirt created it, together with the digest of
the image the name points at now. The image itself is planned by the image reconciler, so a
container's `pull` behaves exactly like the image module's. Many containers are planned
against one listing of containerd's state (two calls), not one round of calls each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..api import containers as containers_api
from ..api import tasks
from ..common.errors import InvalidInput, OcirtError
from ..containers import labels as L
from ..containers import lifecycle, restart_monitor
from ..containers.inspect import stored_config
from ..containers.options import ContainerOptions, canonical, config_hash
from ..containers.paths import Paths
from ..containers.state import describe_state
from ..images.pull import RegistryAccess
from ..transport.connection import Connection
from .image import DesiredImage, apply_image, plan_image
from .plan import Action, Plan

STATES = ("started", "present", "stopped", "absent")
GROUP_LABEL = "io.ocirt/group"  # containers declared together, for purging the unlisted
RUNNING = ("running", "paused")


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

    @classmethod
    def from_item(
        cls,
        item: Dict[str, Any],
        group: Optional[str] = None,
        pull: str = "missing",
        access: Optional[RegistryAccess] = None,
    ) -> DesiredContainer:
        """One entry of a declared set: name, state, recreate, restart, adopt and the
        container options; ``group`` is put on the container as GROUP_LABEL."""
        if not isinstance(item, dict) or not item.get("name"):
            raise InvalidInput(f"each container needs a name, got {item!r}")
        control = {"name", "state", "recreate", "restart", "adopt"}
        state = item.get("state", "started")
        options = None
        if state != "absent":
            raw = {k: v for k, v in item.items() if k not in control}
            if group:
                raw["labels"] = {**(raw.get("labels") or {}), GROUP_LABEL: group}
            try:
                options = ContainerOptions.from_dict(raw)
            except InvalidInput as exc:
                raise InvalidInput(f"container {item['name']}: {exc}") from None
        return cls(
            name=str(item["name"]),
            options=options,
            state=state,
            recreate=bool(item.get("recreate", False)),
            restart=bool(item.get("restart", False)),
            adopt=bool(item.get("adopt", False)),
            pull=pull,
            access=access or RegistryAccess(),
        )

    def validate(self) -> None:
        if self.state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}, got {self.state!r}")
        if self.state != "absent" and self.options is None:
            raise InvalidInput(f"container {self.name}: image is required unless state=absent")


class Observed:
    """containerd's containers and tasks of one namespace, listed once."""

    def __init__(self, conn: Connection) -> None:
        self.records = {c["id"]: c for c in containers_api.list_containers(conn)}
        self.tasks = {(t.get("container_id") or t["id"]): t for t in tasks.list_tasks(conn)}
        self.images: Dict[str, Any] = {}  # image name -> (DesiredImage, Plan)

    def state(self, name: str) -> Optional[Dict[str, Any]]:
        record = self.records.get(name)
        if record is None:
            return None
        return describe_state(record, self.tasks.get(name))


def _image_plan(conn: Connection, desired: DesiredContainer, observed: Observed):
    """The image reconciler's plan for the container's image, once per image and policy."""
    options = desired.options
    key = (options.image, desired.pull, options.snapshotter)
    if key not in observed.images:
        image = DesiredImage(
            name=options.image,
            pull=desired.pull,
            snapshotter=options.snapshotter,
            access=desired.access,
        )
        observed.images[key] = (image, plan_image(conn, image))
    return observed.images[key]


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


def plan_container(
    conn: Connection, desired: DesiredContainer, observed: Optional[Observed] = None
) -> Plan:
    desired.validate()
    observed = observed or Observed(conn)
    record = observed.records.get(desired.name)
    state = observed.state(desired.name)
    status = state["status"] if state else "absent"
    managed = bool(record) and (record.get("labels") or {}).get(L.MANAGED) == "true"
    stored = stored_config(record) if record else None
    before = {"status": status, "config": stored} if record else None

    if record and not managed and not desired.adopt:
        raise InvalidInput(
            f"container {desired.name} exists but ocirt did not create it (image "
            f"{record.get('image') or 'none'}, {status}); it is left alone: set adopt=true to "
            "let ocirt recreate or remove it"
        )
    if desired.state == "absent":
        if record is None:
            return Plan([])
        return Plan([Action("remove", desired.name, f"container exists ({status})")], before=before)

    image, image_plan = _image_plan(conn, desired, observed)
    actions: List[Action] = [
        Action(a.kind, a.target, a.reason, {"image": image, "image_plan": image_plan})
        for a in image_plan.actions
    ]
    wanted = canonical(desired.options, image_plan.after["digest"])

    reason = None
    if record is None:
        reason = "container does not exist"
    elif not managed:
        reason = "adopting a container ocirt did not create"
    elif desired.recreate:
        reason = "recreate=true"
    elif (record.get("labels") or {}).get(L.CONFIG_HASH) != config_hash(
        desired.options, image_plan.after["digest"]
    ):
        reason = "configuration differs: " + ", ".join(_differences(stored, wanted))
    final = _final_status(desired, status, fresh=reason is not None)

    if reason:
        if record is not None:
            actions.append(Action("remove", desired.name, reason))
        actions.append(Action("create", desired.name, reason))
        if final == "running":
            actions.append(Action("start", desired.name, f"state={desired.state}"))
    elif final == "running" and status not in RUNNING:
        actions.append(Action("start", desired.name, f"container is {status}"))
    elif final == "stopped" and status in RUNNING:
        actions.append(Action("stop", desired.name, f"container is {status}"))
    elif desired.restart and status in RUNNING:
        actions.append(Action("restart", desired.name, "restart=true"))
    elif final == "running" and restart_monitor.neglected(record):
        reason = "its restart policy is not handed to containerd's restart monitor"
        actions.append(Action("monitor", desired.name, reason))
    return Plan(actions, before=before, after={"status": final, "config": wanted})


class ContainerApplyFailed(OcirtError):
    """An apply that failed part-way: results must say ``changed`` when the machine was
    changed before the failure (a pulled image, a removed container, a stopped task), not
    the ``changed: false`` of a failure that did nothing."""

    def __init__(self, message: str, changed: bool) -> None:
        super().__init__(message)
        self.changed = changed


def apply_container(conn: Connection, desired: DesiredContainer, plan: Plan) -> Dict[str, Any]:
    """Carry out the plan; returns what the lifecycle calls reported, by action.

    Raises ContainerApplyFailed naming the action that failed and what was done before it.
    """
    done: Dict[str, Any] = {}
    for action in plan.actions:
        try:
            _apply_action(conn, desired, action, done)
        except OcirtError as exc:
            before = f" after {', '.join(done)}" if done else ""
            raise ContainerApplyFailed(
                f"container {desired.name}: {action.kind} failed{before}: {exc}",
                changed=bool(done) or not _undone_on_failure(action),
            ) from exc
    return done


def _undone_on_failure(action: Action) -> bool:
    """Pulls, creates and starts clean up after themselves when they fail; a stop, restart
    or remove that failed may have signalled or deleted something already."""
    return "image_plan" in action.details or action.kind in ("create", "start", "monitor")


def _apply_action(
    conn: Connection, desired: DesiredContainer, action: Action, done: Dict[str, Any]
) -> None:
    if "image_plan" in action.details:
        image_plan = action.details["image_plan"]
        if not image_plan.applied:  # shared by the containers of one image
            done["image"] = apply_image(conn, action.details["image"], image_plan)
            image_plan.applied = True
    elif action.kind == "remove":
        done["remove"] = lifecycle.remove(conn, desired.name, force=True)
    elif action.kind == "create":
        done["create"] = lifecycle.create_container(
            conn, desired.name, desired.options, desired.paths
        )
    elif action.kind == "start":
        done["start"] = {"pid": lifecycle.start(conn, desired.name)["pid"]}
    elif action.kind == "stop":
        done["stop"] = lifecycle.stop(conn, desired.name, timeout=desired.stop_timeout)
    elif action.kind == "restart":
        restarted = lifecycle.restart(conn, desired.name, timeout=desired.stop_timeout)
        done["restart"] = {"pid": restarted["pid"]}
    elif action.kind == "monitor":
        lifecycle.hand_to_monitor(conn, desired.name)
        done["monitor"] = {"status": "running"}


def plan_container_set(
    conn: Connection, desired: Sequence[DesiredContainer], purge_group: Optional[str] = None
) -> List[Tuple[DesiredContainer, Plan]]:
    """Plans for many containers against one listing of the namespace.

    With ``purge_group``, containers ocirt created with that group label (``GROUP_LABEL``)
    that are not in ``desired`` are planned away too.
    """
    names = [d.name for d in desired]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"containers listed twice: {', '.join(duplicates)}")
    observed = Observed(conn)
    out = [(d, plan_container(conn, d, observed)) for d in desired]
    if purge_group:
        for cid, record in sorted(observed.records.items()):
            labels = record.get("labels") or {}
            if cid in names or labels.get(L.MANAGED) != "true":
                continue
            if labels.get(GROUP_LABEL) == purge_group:
                gone = DesiredContainer(name=cid, state="absent")
                plan = plan_container(conn, gone, observed)
                plan.actions[0].reason = f"not listed in group {purge_group}"
                out.append((gone, plan))
    return out
