"""What the CRI has of one pod: its sandboxes (by metadata name and namespace) and their
containers, as plain data; plus the image reconciler's plans for the containers' images
and the cgroup driver of the pod's runtime (one CRI Status call).

Two list calls (ListPodSandbox, ListContainers) whatever the number of pods, so observing
costs the same on a busy node. ``from_data`` builds the same thing from a planner case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping

from ..common.errors import InvalidInput
from ..cri import containers as cri_containers
from ..cri import sandboxes
from ..cri.container_messages import CONTAINER_STATES
from ..cri.sandbox_messages import SANDBOX_STATES
from ..reconcile import image as image_reconciler
from ..reconcile.image import DesiredImage
from ..reconcile.plan import Plan
from ..transport.connection import Connection
from .cgroup_parent import CGROUPFS, cgroup_driver
from .desired import DesiredPod

CRI_NAMESPACE = "k8s.io"


@dataclass
class ObservedPodContainer:
    id: str
    name: str
    state: str  # created, running, exited, unknown
    attempt: int = 0
    annotations: Dict[str, str] = field(default_factory=dict)


@dataclass
class ObservedSandbox:
    id: str
    state: str  # ready, notready
    attempt: int = 0
    created_at: int = 0
    annotations: Dict[str, str] = field(default_factory=dict)
    containers: List[ObservedPodContainer] = field(default_factory=list)


@dataclass
class ObservedPod:
    sandboxes: List[ObservedSandbox] = field(default_factory=list)  # newest first
    images: List[Plan] = field(default_factory=list)
    cgroup_driver: str = CGROUPFS  # of the pod's runtime handler (cgroup_parent.py)


def _container(c: Mapping[str, Any]) -> ObservedPodContainer:
    meta = c["metadata"] or {}
    return ObservedPodContainer(
        id=c["id"],
        name=meta.get("name", ""),
        state=CONTAINER_STATES.get(c["state"], "unknown"),
        attempt=meta.get("attempt", 0),
        annotations=dict(c["annotations"]),
    )


def sandboxes_of(conn: Connection, pod_namespace: str, name: str) -> List[ObservedSandbox]:
    """The sandboxes named (pod_namespace, name), newest first, with their containers."""
    found = [
        ObservedSandbox(
            id=s["id"],
            state=SANDBOX_STATES.get(s["state"], "notready"),
            attempt=s["metadata"]["attempt"],
            created_at=s["created_at"],
            annotations=dict(s["annotations"]),
        )
        for s in sandboxes.list_pod_sandboxes(conn)
        if s["metadata"]
        and s["metadata"]["name"] == name
        and s["metadata"]["namespace"] == pod_namespace
    ]
    if found:
        by_sandbox: Dict[str, List[ObservedPodContainer]] = {}
        for c in cri_containers.list_containers(conn):
            by_sandbox.setdefault(c["pod_sandbox_id"], []).append(_container(c))
        for s in found:
            s.containers = sorted(by_sandbox.get(s.id, []), key=lambda c: c.name)
    return sorted(found, key=lambda s: s.created_at, reverse=True)


def wanted_images(desired: DesiredPod) -> List[DesiredImage]:
    """The images the pod's containers need, each once, as the image reconciler is asked
    for them in namespace k8s.io (the pod module plans them; a state document first looks
    for an ``images`` entry that provides them)."""
    return [
        DesiredImage(name, pull=desired.pull, access=desired.access)
        for name in dict.fromkeys(c.image for c in desired.containers)
    ]


def users_of(desired: DesiredPod, image: str) -> str:
    """``pod default/web, container app`` (or ``containers app, side``): who needs ``image``,
    for a refusal that names them."""
    names = [c.name for c in desired.containers if c.image == image]
    kind = "container" if len(names) == 1 else "containers"
    return f"{desired.subject}, {kind} {', '.join(names)}"


def image_plans(conn: Connection, desired: DesiredPod) -> List[Plan]:
    """The image reconciler's plans for the containers' images, in namespace k8s.io; a
    refusal (pull=never and the image is not there) names the pod and its container."""
    images = conn.with_namespace(CRI_NAMESPACE)
    plans: List[Plan] = []
    for wanted in wanted_images(desired):
        try:
            plans.append(image_reconciler.plan(images, wanted))
        except InvalidInput as exc:
            raise InvalidInput(f"{users_of(desired, wanted.name)}: {exc}") from exc
    return plans


def observe(conn: Connection, desired: DesiredPod, with_images: bool = True) -> ObservedPod:
    """The pod's sandboxes, and (``with_images``, unless the pod is to be absent) the plans
    of its images; a state document passes False and plans the images with its own."""
    wanted = desired.state != "absent"
    images = image_plans(conn, desired) if with_images and wanted else []
    driver = cgroup_driver(conn, desired.runtime_handler) if wanted else CGROUPFS
    return ObservedPod(sandboxes_of(conn, desired.pod_namespace, desired.name), images, driver)


def from_data(data: Mapping[str, Any]) -> ObservedPod:
    """An ObservedPod from a planner case's ``observed`` (sandboxes with containers, and
    ``cgroup_driver``: cgroupfs unless given)."""
    found = []
    for s in data.get("sandboxes", []):
        entry = dict(s)
        entry["containers"] = [ObservedPodContainer(**c) for c in s.get("containers", [])]
        found.append(ObservedSandbox(**entry))
    return ObservedPod(found, cgroup_driver=data.get("cgroup_driver", CGROUPFS))
