"""The pod planner: a pure function of the desired pod and what the CRI has.

- absent: every sandbox of the pod is removed (the CRI removes its containers with it).
- No sandbox, a sandbox whose stored hash differs (a pod-level difference), or a sandbox
  that is not ready while the pod is to be started (the CRI cannot restart a sandbox): the
  pod is made anew, all its containers with it.
- A ready sandbox with the same hash: each container is looked at alone: created when
  missing, recreated when its own hash differs or (to be started) when it has exited,
  started when only created, removed when no longer declared. Nothing else is touched, so
  a second identical run does nothing at all.
- stopped: as above without starting, then the sandbox is stopped.
A pod of that name that ocirt did not make (no stored hash) is refused unless ``adopt``.
The sandbox is compared and made with the cgroup parent it gets on this node
(``cgroup_parent.with_parent``: ``ocirt.slice`` under the systemd driver when none is given);
the plan's ``desired`` carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..common.errors import InvalidInput
from ..reconcile.plan import Action, Plan
from . import config_hash as ch
from .cgroup_parent import with_parent
from .desired import DesiredPod, DesiredPodContainer
from .observed import ObservedPod, ObservedPodContainer, ObservedSandbox

RUN, REMOVE_POD, STOP_POD = "run_pod", "remove_pod", "stop_pod"
CREATE, START, REMOVE = "create_container", "start_container", "remove_container"


@dataclass
class PodPlan(Plan):
    """A pod's plan with the declaration it carries out (``apply`` needs nothing more)."""

    desired: Optional[DesiredPod] = None
    image_digests: Dict[str, str] = field(default_factory=dict)  # image name -> digest


def _summary(s: Optional[ObservedSandbox]) -> Optional[Dict[str, Any]]:
    if s is None:
        return None
    return {
        "id": s.id,
        "state": s.state,
        "config": ch.stored_identity(s.annotations),
        "containers": {
            c.name: {"id": c.id, "state": c.state, "config": ch.stored_identity(c.annotations)}
            for c in s.containers
        },
    }


def image_digests(images: List[Plan]) -> Dict[str, str]:
    """The digest each image will have after its plan, by name (what the plans know)."""
    found = {}
    for p in images:
        after, desired = p.after, getattr(p, "desired", None)
        if isinstance(after, dict) and after.get("digest") and desired is not None:
            found[desired.name] = after["digest"]
    return found


def _wanted(desired: DesiredPod, digests: Dict[str, str]) -> Optional[Dict[str, Any]]:
    if desired.state == "absent":
        return None
    return {
        "state": desired.state,
        "config": ch.sandbox_identity(desired.sandbox_config, desired.runtime_handler),
        "containers": {
            c.name: ch.container_identity(c.config, digests.get(c.image))
            for c in desired.containers
        },
    }


def _pick(sandboxes: List[ObservedSandbox]) -> Optional[ObservedSandbox]:
    ready = [s for s in sandboxes if s.state == "ready"]
    chosen = ready or sandboxes
    return chosen[0] if chosen else None


def _refuse_foreign(desired: DesiredPod, current: ObservedSandbox) -> None:
    if ch.stored_hash(current.annotations) is None and not desired.adopt:
        raise InvalidInput(
            f"{desired.subject} exists (sandbox {current.id[:12]}) but ocirt did not make it "
            f"(no {ch.HASH_ANNOTATION} annotation): set adopt=true to let ocirt recreate "
            "or remove it"
        )


def _make_pod(desired: DesiredPod, reason: str) -> List[Action]:
    target = f"{desired.pod_namespace}/{desired.name}"
    actions = [Action(RUN, target, reason)]
    for c in desired.containers:
        actions.append(Action(CREATE, c.name, reason, {"name": c.name}))
        if desired.state == "started":
            actions.append(Action(START, c.name, "state=started", {"name": c.name}))
    if desired.state == "stopped":
        actions.append(Action(STOP_POD, target, "state=stopped", {"id": ""}))
    return actions


def _remove_pod(desired: DesiredPod, sandbox: ObservedSandbox, reason: str) -> Action:
    return Action(REMOVE_POD, f"{desired.pod_namespace}/{desired.name}", reason, {"id": sandbox.id})


def _one_container(
    desired: DesiredPod,
    c: DesiredPodContainer,
    found: List[ObservedPodContainer],
    digest: Optional[str],
) -> List[Action]:
    start = desired.state == "started"
    found = sorted(found, key=lambda o: o.state != "running")
    actions = [Action(REMOVE, c.name, "an older instance", {"id": o.id}) for o in found[1:]]
    if not found:
        actions.append(Action(CREATE, c.name, "container does not exist", {"name": c.name}))
        return actions + (
            [Action(START, c.name, "state=started", {"name": c.name})] if start else []
        )
    obs = found[0]
    wanted = ch.container_identity(c.config, digest)
    if ch.stored_hash(obs.annotations) != ch.config_hash(wanted):
        diff = ", ".join(ch.differences(ch.stored_identity(obs.annotations), wanted))
        reason = f"configuration differs: {diff}"
    elif obs.state == "running" or not start:
        return actions
    elif obs.state == "created":
        return [*actions, Action(START, c.name, "state=started", {"name": c.name, "id": obs.id})]
    else:
        reason = f"container is {obs.state}"
    actions += [
        Action(REMOVE, c.name, reason, {"id": obs.id}),
        Action(CREATE, c.name, reason, {"name": c.name}),
    ]
    return actions + ([Action(START, c.name, "state=started", {"name": c.name})] if start else [])


def _containers(
    desired: DesiredPod, sandbox: ObservedSandbox, digests: Dict[str, str]
) -> List[Action]:
    declared = {c.name for c in desired.containers}
    actions = [
        Action(REMOVE, o.name, "not declared in the pod", {"id": o.id})
        for o in sandbox.containers
        if o.name not in declared
    ]
    for c in desired.containers:
        same = [o for o in sandbox.containers if o.name == c.name]
        actions += _one_container(desired, c, same, digests.get(c.image))
    return actions


def _pod_reason(desired: DesiredPod, current: Optional[ObservedSandbox]) -> Optional[str]:
    """Why the whole pod is to be made (anew), or None when its sandbox can stay."""
    if current is None:
        return "pod does not exist"
    wanted = ch.sandbox_identity(desired.sandbox_config, desired.runtime_handler)
    if ch.stored_hash(current.annotations) != ch.config_hash(wanted):
        diff = ", ".join(ch.differences(ch.stored_identity(current.annotations), wanted))
        return f"pod configuration differs: {diff}"
    if desired.state == "started" and current.state != "ready":
        return "pod sandbox is not ready (the CRI cannot restart a sandbox)"
    return None


def _converge(
    desired: DesiredPod, current: Optional[ObservedSandbox], digests: Dict[str, str]
) -> List[Action]:
    reason = _pod_reason(desired, current)
    if current is None:
        return _make_pod(desired, reason or "pod does not exist")
    if reason is not None:
        return [_remove_pod(desired, current, reason), *_make_pod(desired, reason)]
    return _converge_containers(desired, current, digests)


def _converge_containers(
    desired: DesiredPod, current: ObservedSandbox, digests: Dict[str, str]
) -> List[Action]:
    """The sandbox stays: its containers alone are brought to the declaration."""
    actions = _containers(desired, current, digests)
    if current.state != "ready":
        if any(a.kind != REMOVE for a in actions):
            reason = "containers differ in a stopped pod (the CRI cannot create them there)"
            return [_remove_pod(desired, current, reason), *_make_pod(desired, reason)]
        return actions
    if desired.state == "stopped":
        target = f"{desired.pod_namespace}/{desired.name}"
        actions.append(Action(STOP_POD, target, "state=stopped", {"id": current.id}))
    return actions


def decide(desired: DesiredPod, observed: ObservedPod) -> PodPlan:
    desired = with_parent(desired, observed.cgroup_driver)
    current = _pick(observed.sandboxes)
    before = _summary(current)
    if desired.state == "absent":
        actions = [_remove_pod(desired, s, "state=absent") for s in observed.sandboxes]
        noop = "" if actions else "pod does not exist"
        return PodPlan(actions, before, None, noop, subject=desired.subject, desired=desired)
    if current is not None:
        _refuse_foreign(desired, current)
    extras = [
        _remove_pod(desired, s, "an older sandbox of the pod")
        for s in observed.sandboxes
        if s is not current
    ]
    digests = image_digests(observed.images)
    actions = extras + _converge(desired, current, digests)
    noop = "" if actions else f"pod is {desired.state} with the declared configuration"
    return PodPlan(
        actions,
        before,
        _wanted(desired, digests),
        noop,
        children=list(observed.images),
        subject=desired.subject,
        desired=desired,
        image_digests=digests,
    )
