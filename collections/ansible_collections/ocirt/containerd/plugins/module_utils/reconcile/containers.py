"""A declared set of containers, planned against one listing of the namespace.

Each container is decided as reconcile/container.py decides one; what the set adds is
observing once (two calls for all containers, one image plan per image) and, with a purge
group, removing the containers ocirt created in that group that are no longer declared.
Containers sharing an image share its plan, and the image is pulled once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, TypedDict

from ..common.errors import InvalidInput
from ..containers.options import ContainerOptions
from ..containers.record import is_managed, labels_of
from ..images.pull import RegistryAccess
from ..transport.connection import Connection
from . import container
from .container import ContainerApplyFailed, ContainerPlan, DesiredContainer, Listing
from .plan import Action, ActionSummary, Applied, Plan

GROUP_LABEL = "io.ocirt/group"  # containers declared together, for purging the unlisted
_CONTROL = ("name", "state", "recreate", "restart", "adopt")  # the rest are container options


def from_item(
    item: Any,
    group: Optional[str] = None,
    pull: str = "missing",
    access: Optional[RegistryAccess] = None,
) -> DesiredContainer:
    """One entry of a declared set: name, state, recreate, restart, adopt and the container
    options; ``group`` is put on the container as GROUP_LABEL."""
    if not isinstance(item, dict) or not item.get("name"):
        raise InvalidInput(f"each container needs a name, got {item!r}")
    state = item.get("state", "started")
    options = None
    if state != "absent":
        raw = {k: v for k, v in item.items() if k not in _CONTROL}
        if group:
            raw["labels"] = {**(raw.get("labels") or {}), GROUP_LABEL: group}
        try:
            options = ContainerOptions.from_dict(raw)
        except InvalidInput as exc:
            raise InvalidInput(f"container {item['name']}: {exc}") from None
    return DesiredContainer(
        name=str(item["name"]),
        options=options,
        state=state,
        recreate=bool(item.get("recreate", False)),
        restart=bool(item.get("restart", False)),
        adopt=bool(item.get("adopt", False)),
        pull=pull,
        access=access or RegistryAccess(),
    )


@dataclass
class DesiredContainers:
    containers: Sequence[DesiredContainer]
    purge_group: Optional[str] = None  # remove ocirt's containers of this group not listed

    def validate(self) -> None:
        names = [d.name for d in self.containers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidInput(f"containers listed twice: {', '.join(duplicates)}")
        for desired in self.containers:
            desired.validate()


ImageKey = Tuple[str, str, str]  # image name, pull policy, snapshotter


def image_key(desired: DesiredContainer) -> ImageKey:
    """Containers with the same key share one image plan."""
    options = desired.wanted()
    return (options.image, desired.pull, options.snapshotter)


@dataclass
class ObservedContainers:
    """The namespace's containers and tasks, and one image plan per image and policy."""

    listing: Listing
    images: Dict[ImageKey, Plan]


def observe(conn: Connection, desired: DesiredContainers) -> ObservedContainers:
    desired.validate()
    listing = container.list_namespace(conn)
    images: Dict[ImageKey, Plan] = {}
    for wanted in desired.containers:
        if wanted.state != "absent" and image_key(wanted) not in images:
            images[image_key(wanted)] = container.plan_image(conn, wanted)
    return ObservedContainers(listing, images)


@dataclass
class ContainerSetPlan(Plan):
    """Children: one ContainerPlan per container, declared ones first, then the purged."""

    def all_actions(self) -> List[Action]:
        """Each image's actions once, however many containers share its plan."""
        seen: Set[int] = set()
        found: List[Action] = []
        for child in self.children:
            for image in child.children:
                if id(image) not in seen:
                    seen.add(id(image))
                    found.extend(image.all_actions())
            found.extend(child.actions)
        return found


def _purged(desired: DesiredContainers, listing: Listing) -> List[ContainerPlan]:
    group = desired.purge_group
    if not group:
        return []
    names = {d.name for d in desired.containers}
    plans = []
    for cid, record in sorted(listing.records.items()):
        if cid in names or not is_managed(record) or labels_of(record).get(GROUP_LABEL) != group:
            continue
        gone = container.decide(DesiredContainer(name=cid, state="absent"), listing.of(cid))
        gone.actions = [replace(a, reason=f"not listed in group {group}") for a in gone.actions]
        plans.append(gone)
    return plans


def decide(desired: DesiredContainers, observed: ObservedContainers) -> ContainerSetPlan:
    """The plan of every container of the set, from what was observed alone."""
    desired.validate()
    children: List[ContainerPlan] = []
    for wanted in desired.containers:
        image = observed.images.get(image_key(wanted)) if wanted.state != "absent" else None
        children.append(container.decide(wanted, observed.listing.of(wanted.name, image)))
    children.extend(_purged(desired, observed.listing))
    changed = [c for c in children if c.changed]
    plan = ContainerSetPlan(
        [],
        before={_name(c): c.before for c in changed},
        after={_name(c): c.after for c in changed},
        children=list(children),
        subject="containers",
    )
    if not changed:
        plan.noop_reason = f"all {len(children)} containers are as declared"
    return plan


def plan(conn: Connection, desired: DesiredContainers) -> ContainerSetPlan:
    return decide(desired, observe(conn, desired))


class ContainerOutcome(TypedDict, total=False):
    """What the set says of one of its containers, in every front end's result."""

    name: str
    changed: bool
    status: str  # after the run (predicted in check mode); absent once removed
    failed: bool  # only on the container an apply failed on
    actions: List[ActionSummary]


def _name(plan: Plan) -> str:
    desired = plan.desired if isinstance(plan, ContainerPlan) else None
    return desired.name if desired is not None else plan.subject


def outcome(plan: Plan) -> ContainerOutcome:
    desired = plan.desired if isinstance(plan, ContainerPlan) else None
    absent = desired is None or desired.state == "absent"
    status = "absent" if absent else (plan.after or {}).get("status", "absent")
    return {
        "name": _name(plan),
        "changed": plan.changed,
        "status": status,
        "actions": plan.summaries(),
    }


def apply(conn: Connection, plan: Plan, images_applied: Optional[Set[int]] = None) -> Applied:
    """Carry out each container's plan in order; ``details['containers']`` has what each
    reported, by name. A failure names the container, and says changed if any container
    before it was changed; its ``result`` has the outcomes so far. ``images_applied``: ids
    of image plans already carried out (a state document applies its images first)."""
    images_applied = set() if images_applied is None else images_applied
    done: Dict[str, Mapping[str, Any]] = {}
    for i, child in enumerate(plan.children):
        if not child.changed:
            continue
        try:
            done[_name(child)] = container.carry_out(conn, child, images_applied).details
        except ContainerApplyFailed as exc:
            earlier = [outcome(c) for c in plan.children[:i]]
            failed: ContainerOutcome = {"name": _name(child), "changed": exc.changed}
            failed.update({"failed": True, "actions": child.summaries()})
            raise ContainerApplyFailed(
                str(exc),
                changed=exc.changed or any(o["changed"] for o in earlier),
                result={"containers": [*earlier, failed]},
            ) from exc
    return Applied(plan, details={"containers": done})
