"""One plan for a whole state document, made of the namespace, network, image, container
and pod plans.

``plan(conn, document)`` observes once (``observe``) and decides (``decide``, pure, tested
from data files in tests/reconcile/data/state), in this order: the declared namespaces; the
networks to be present (each planned knowing the subnets of those before it, so two new
networks never pick the same free subnet); the declared images; then per containerd
namespace the declared containers in document order (``reconcile.containers``, one listing
of the namespace), whose images are the declared images' plans when the document lists
them, else one plan per image shared by every container that names it (each image is
resolved and pulled once); with ``prune``, the containers of the document's group that
ocirt made and the document no longer lists are removed, and nothing else; then the pods
(each with its images, in the CRI's namespace k8s.io); last the networks to be absent
(after the containers that may leave them). ``apply(conn, document, plan)`` carries the
plan out in the same order; an image plan shared by many containers is carried out once.

A plan holds the desired images with their registry credentials: it is never serialised
whole. ``outcome.py`` makes its one JSON shape from plain fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Set, Tuple

from ..cni.paths import CniPaths
from ..common.errors import InvalidInput, OcirtError
from ..pods import decide as pod_decide
from ..pods import reconciler as pod_reconciler
from ..pods.desired import DesiredPod
from ..pods.observed import CRI_NAMESPACE, ObservedPod, users_of, wanted_images
from ..pods.observed import observe as observe_pod
from ..reconcile import container, containers, image, namespace, network
from ..reconcile.container import ContainerApplyFailed, Listing
from ..reconcile.image import DesiredImage, ObservedImage
from ..reconcile.namespace import ObservedNamespace
from ..reconcile.network import ObservedNetworks
from ..reconcile.plan import Action, Applied, Plan
from ..transport.connection import Connection
from .document import ContainerEntry, StateDocument

NAMESPACE, NETWORK, IMAGE, CONTAINERS, POD = "namespace", "network", "image", "containers", "pod"


@dataclass
class Step:
    """One child of the state plan and where it runs: the containerd namespace of an image
    or a container set (a namespace entry runs outside any)."""

    kind: str  # NAMESPACE, NETWORK, IMAGE, CONTAINERS or POD
    namespace: str
    plan: Plan
    declared: bool = True  # False: an image only containers or pods name
    path: str = ""  # the entry in the document: images[2]
    provided: Dict[str, str] = field(default_factory=dict)  # a pod's image -> its images entry


@dataclass
class StatePlan(Plan):
    steps: List[Step] = field(default_factory=list)

    def all_actions(self) -> List[Action]:
        """In order, each image's actions once however many containers share its plan."""
        seen: Set[int] = set()
        found: List[Action] = []

        def walk(plan: Plan) -> None:
            if id(plan) in seen:
                return
            seen.add(id(plan))
            for child in plan.children:
                walk(child)
            found.extend(plan.actions)

        for step in self.steps:
            walk(step.plan)
        return found


ImageWants = Dict[str, Tuple[str, DesiredImage]]  # key -> (namespace, the image as wanted)


def _declared_keys(document: StateDocument) -> Dict[Tuple[str, str, Optional[str]], str]:
    """(namespace, image, snapshotter) -> the path of the images entry that declares it."""
    return {
        (e.namespace, e.desired.name, e.desired.snapshotter): e.path
        for e in document.images
        if e.desired.state == "present"
    }


def _key(document: StateDocument, ns: str, name: str, snapshotter: Optional[str], pull: str) -> str:
    """The one decision of where an image comes from: the path of the images entry that
    provides it (same namespace, name and snapshotter), whatever the user's pull policy;
    else one key per namespace, image, snapshotter and pull policy."""
    declared = _declared_keys(document).get((ns, name, snapshotter))
    return declared or f"{ns}/{name}@{snapshotter}/pull={pull}"


def image_of(document: StateDocument, entry: ContainerEntry) -> str:
    """The key of a container's image plan (``_key``)."""
    options = entry.desired.wanted()
    return _key(document, entry.namespace, options.image, options.snapshotter, entry.desired.pull)


def pod_image_of(document: StateDocument, pod: DesiredPod, wanted: DesiredImage) -> str:
    """The key of the plan of an image a pod's container needs (``_key``, in k8s.io)."""
    return _key(document, CRI_NAMESPACE, wanted.name, wanted.snapshotter, pod.pull)


def _pod_images(pod: DesiredPod) -> List[DesiredImage]:
    return [] if pod.state == "absent" else wanted_images(pod)


def image_wants(document: StateDocument) -> ImageWants:
    """Every image to plan, each once: the images entries (by path), then the images that
    only containers name, then those only pods name."""
    wants: ImageWants = {e.path: (e.namespace, e.desired) for e in document.images}
    for entry in document.containers:
        if entry.desired.state == "absent":
            continue
        key = image_of(document, entry)
        if key not in wants:
            desired = entry.desired.image()
            desired.validate()
            wants[key] = (entry.namespace, desired)
    for _, pod in document.pods:
        for wanted in _pod_images(pod):
            key = pod_image_of(document, pod, wanted)
            if key not in wants:
                wanted.validate()
                wants[key] = (CRI_NAMESPACE, wanted)
    return wants


@dataclass
class ObservedState:
    """What the decisions need: each declared namespace, each image (by ``image_wants``
    key) and each namespace's containers and tasks, listed once."""

    namespaces: Dict[str, ObservedNamespace]
    images: Dict[str, ObservedImage]
    listings: Dict[str, Listing]
    networks: Dict[str, ObservedNetworks] = field(default_factory=dict)
    pods: Dict[str, ObservedPod] = field(default_factory=dict)  # by the entry's path


def observe(conn: Connection, document: StateDocument) -> ObservedState:
    return ObservedState(
        namespaces={d.name: namespace.observe(conn, d) for d in document.namespaces},
        images={
            key: image.observe(conn.with_namespace(ns), desired)
            for key, (ns, desired) in image_wants(document).items()
        },
        listings={
            ns: container.list_namespace(conn.with_namespace(ns))
            for ns in document.container_namespaces()
        },
        networks={
            d.name: network.observe(CniPaths.from_environment(), d) for d in document.networks
        },
        pods={path: observe_pod(conn, pod, with_images=False) for path, pod in document.pods},
    )


def _removed_here(document: StateDocument) -> Set[str]:
    """The attachment keys (``<namespace>-<id>``, as libcni's cache names them) of the
    containers the document removes: they leave their networks before an absent network
    goes."""
    return {
        f"{e.namespace}-{e.desired.name}"
        for e in document.containers
        if e.desired.state == "absent"
    }


def _network_steps(document: StateDocument, observed: ObservedState, state: str) -> List[Step]:
    """The network entries to be ``state``; a network planned present counts as taken for
    those after it (their free subnet, their clashes)."""
    steps = []
    planned: Dict[str, Dict[str, Any]] = {}
    leaving = _removed_here(document)
    for i, desired in enumerate(document.networks):
        seen = observed.networks[desired.name]
        others = {**seen.others, **{k: v for k, v in planned.items() if k != desired.name}}
        users = [u for u in seen.users if desired.state == "present" or u not in leaving]
        seen = ObservedNetworks(seen.current, others, users, seen.foreign)
        decided = network.decide(desired, seen)
        if desired.state == "present" and decided.after:
            planned[desired.name] = decided.after
        if desired.state == state:
            steps.append(Step(NETWORK, "", decided, path=f"networks[{i}]"))
    return steps


def _container_step(
    document: StateDocument, observed: ObservedState, ns: str, images: Dict[str, Plan]
) -> Step:
    listed = [e for e in document.containers if e.namespace == ns]
    desired = containers.DesiredContainers(
        [e.desired for e in listed], purge_group=document.group if document.prune else None
    )
    plans = {
        containers.image_key(e.desired): images[image_of(document, e)]
        for e in listed
        if e.desired.state != "absent"
    }
    found = containers.ObservedContainers(observed.listings.get(ns, Listing({}, {})), plans)
    return Step(CONTAINERS, ns, containers.decide(desired, found))


def _users(document: StateDocument, key: str) -> List[str]:
    """The entries that need the image planned under ``key``, for a refusal that names them."""
    found = [key] if any(e.path == key for e in document.images) else []
    found += [
        f"{e.path} (container {e.desired.name})"
        for e in document.containers
        if e.desired.state != "absent" and image_of(document, e) == key
    ]
    for path, pod in document.pods:
        for wanted in _pod_images(pod):
            if pod_image_of(document, pod, wanted) == key:
                found.append(f"{path} ({users_of(pod, wanted.name)})")
    return found


def _image_plans(document: StateDocument, observed: ObservedState) -> Dict[str, Plan]:
    """Each image's plan by ``image_wants`` key; a refusal names the entries that need it and,
    for an image no images entry provides, says so."""
    plans: Dict[str, Plan] = {}
    declared = {e.path for e in document.images}
    for key, (ns, wanted) in image_wants(document).items():
        try:
            plans[key] = image.decide(wanted, observed.images[key])
        except InvalidInput as exc:
            unprovided = "" if key in declared else f" (no images entry provides it in {ns})"
            raise InvalidInput(f"{'; '.join(_users(document, key))}: {exc}{unprovided}") from exc
    return plans


def _pod_steps(
    document: StateDocument, observed: ObservedState, images: Dict[str, Plan]
) -> List[Step]:
    """The pods, each planned with the image plans of the document: an images entry's where
    one provides the image (so a pod with pull=never may use an image the document imports)."""
    declared = {e.path for e in document.images}
    steps = []
    for path, pod in document.pods:
        keys = {w.name: pod_image_of(document, pod, w) for w in _pod_images(pod)}
        found = replace(observed.pods[path], images=[images[k] for k in keys.values()])
        provided = {name: key for name, key in keys.items() if key in declared}
        planned = pod_decide.decide(pod, found)
        steps.append(Step(POD, CRI_NAMESPACE, planned, path=path, provided=provided))
    return steps


def decide(document: StateDocument, observed: ObservedState) -> StatePlan:
    """The plan of the whole document, from what was observed alone."""
    steps = [
        Step(
            NAMESPACE, "", namespace.decide(d, observed.namespaces[d.name]), path=f"namespaces[{i}]"
        )
        for i, d in enumerate(document.namespaces)
    ]
    steps += _network_steps(document, observed, "present")
    wants = image_wants(document)
    images = _image_plans(document, observed)
    declared = {e.path for e in document.images}
    for key, (ns, _) in wants.items():
        path = key if key in declared else ""
        steps.append(Step(IMAGE, ns, images[key], declared=key in declared, path=path))
    for ns in document.container_namespaces():
        steps.append(_container_step(document, observed, ns, images))
    steps += _pod_steps(document, observed, images)
    steps += _network_steps(document, observed, "absent")
    result = StatePlan([], children=[s.plan for s in steps], steps=steps, subject="document")
    if not result.changed:
        entries = sum(
            len(x)
            for x in (document.namespaces, document.networks, document.images, document.containers)
        )
        result.noop_reason = f"all {entries} entries are as declared"
    return result


def plan(conn: Connection, document: StateDocument) -> StatePlan:
    """What applying ``document`` would do, entry by entry (nothing is changed)."""
    return decide(document, observe(conn, document))


def _apply_step(conn: Connection, step: Step, images_applied: Set[int]) -> Dict[str, Any]:
    if step.kind == NAMESPACE:
        namespace.apply(conn, step.plan)
        return {}
    if step.kind == NETWORK:
        network.apply(CniPaths.from_environment(), step.plan)
        return {}
    if step.kind == POD:
        pod_reconciler.apply(conn, step.plan, images_applied)
        return {}
    here = conn.with_namespace(step.namespace)
    if step.kind == IMAGE:
        if id(step.plan) not in images_applied:
            image.apply(here, step.plan)
            images_applied.add(id(step.plan))
        return {}
    return containers.apply(here, step.plan, images_applied).details["containers"]


def apply(conn: Connection, document: StateDocument, planned: Optional[Plan] = None) -> Applied:
    """Carry out ``planned`` (made now from ``document`` if None); ``details['containers']``
    has what each container reported, by namespace and name. A failure names the entry and
    says ``changed`` if anything was changed before it."""
    if planned is None:
        planned = plan(conn, document)
    if not isinstance(planned, StatePlan):
        raise ContainerApplyFailed("not a state plan: make it with state.reconcile.plan", False)
    images_applied: Set[int] = set()
    done: Dict[str, Dict[str, Any]] = {}
    changed = False
    for step in planned.steps:
        if not step.plan.changed:
            continue
        try:
            reported = _apply_step(conn, step, images_applied)
        except OcirtError as exc:
            raise ContainerApplyFailed(
                f"{step.plan.subject or step.kind}: {exc}",
                changed=changed or bool(getattr(exc, "changed", False)),
                result=getattr(exc, "result", None),
            ) from exc
        changed = True
        if reported:
            done.setdefault(step.namespace, {}).update(reported)
    return Applied(planned, details={"containers": done})
