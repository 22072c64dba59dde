"""The pod reconciler: ``plan(conn, desired) -> PodPlan`` and ``apply(conn, plan)``.

``plan`` observes (two CRI list calls, and the image reconciler's plans for the images in
namespace k8s.io) and decides (``decide.py``, pure). ``apply`` carries the actions out in
order: images first, and waits until the CRI's own image store has them (it learns of
images made through the plain API from events), then the pod and container calls.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Set, Tuple

from ..api import cri_images
from ..common.errors import InvalidInput, OcirtError, Timeout
from ..cri import containers as cri_containers
from ..cri import sandboxes
from ..reconcile import image as image_reconciler
from ..reconcile.plan import Action, Applied, Plan
from ..transport.connection import Connection
from . import config_hash as ch
from . import decide as d
from .desired import DesiredPod
from .observed import CRI_NAMESPACE, observe
from .report import pod_report

IMAGE_VISIBLE_WITHIN = 30.0


def plan(conn: Connection, desired: DesiredPod) -> d.PodPlan:
    desired.validate()
    return d.decide(desired, observe(conn, desired))


class PodApplyFailed(OcirtError):
    """An apply that failed part-way; ``changed`` says whether anything was done before."""

    def __init__(self, message: str, changed: bool, result: Dict[str, Any]) -> None:
        super().__init__(message)
        self.changed = changed
        self.result = result


@contextmanager
def _failing_as(plan: Plan, action: str, done: Dict[str, Any]) -> Iterator[None]:
    try:
        yield
    except OcirtError as exc:
        before = f" after {len(done['steps'])} step(s)" if done["steps"] else ""
        raise PodApplyFailed(
            f"{plan.subject}: {action} failed{before}: {exc}",
            changed=bool(done["steps"]) or action not in (d.CREATE, d.START, d.RUN),
            result={"actions": plan.summaries()},
        ) from exc


def _wait_for_cri_image(conn: Connection, name: str) -> None:
    deadline = time.monotonic() + IMAGE_VISIBLE_WITHIN
    while cri_images.image_status(conn, name) is None:
        if time.monotonic() > deadline:
            raise Timeout(f"the CRI does not see image {name} in {CRI_NAMESPACE} yet")
        time.sleep(0.2)


class _Run:
    """The state of one apply: the sandbox in use and the containers made, by name."""

    def __init__(self, conn: Connection, plan: d.PodPlan, desired: DesiredPod) -> None:
        before = plan.before
        self.conn = conn
        self.desired = desired
        self.digests = plan.image_digests
        self.sandbox_id: Optional[str] = (before or {}).get("id")
        self.ids: Dict[str, str] = {
            name: c["id"] for name, c in ((before or {}).get("containers") or {}).items()
        }
        identity = ch.sandbox_identity(desired.sandbox_config, desired.runtime_handler)
        self.sandbox_config = ch.stamped(desired.sandbox_config, identity)

    def step(self, action: Action) -> None:
        handler = getattr(self, action.kind, None)
        if handler is None:
            raise InvalidInput(f"{self.desired.subject}: no such action {action.kind!r}")
        handler(action)

    def remove_pod(self, action: Action) -> None:
        sandboxes.stop_pod_sandbox(self.conn, action.details["id"])
        sandboxes.remove_pod_sandbox(self.conn, action.details["id"])
        if action.details["id"] == self.sandbox_id:
            self.sandbox_id, self.ids = None, {}

    def run_pod(self, _action: Action) -> None:
        os.makedirs(self.sandbox_config["log_directory"], exist_ok=True)
        self.sandbox_id = sandboxes.run_pod_sandbox(
            self.conn, self.sandbox_config, self.desired.runtime_handler
        )

    def _sandbox(self) -> str:
        if not self.sandbox_id:
            raise InvalidInput(f"{self.desired.subject}: no sandbox to work in")
        return self.sandbox_id

    def create_container(self, action: Action) -> None:
        c = self.desired.container(action.details["name"])
        identity = ch.container_identity(c.config, self.digests.get(c.image))
        config = ch.stamped(c.config, identity)
        self.ids[c.name] = cri_containers.create_container(
            self.conn, self._sandbox(), config, self.sandbox_config
        )

    def start_container(self, action: Action) -> None:
        cri_containers.start_container(
            self.conn, action.details.get("id") or self.ids[action.details["name"]]
        )

    def remove_container(self, action: Action) -> None:
        cri_containers.stop_container(self.conn, action.details["id"], self.desired.stop_timeout)
        cri_containers.remove_container(self.conn, action.details["id"])

    def stop_pod(self, action: Action) -> None:
        sandbox = action.details.get("id") or self._sandbox()
        sandboxes.stop_pod_gracefully(self.conn, sandbox, self.desired.stop_timeout)


def _pod_plan(plan: Plan) -> Tuple[d.PodPlan, DesiredPod]:
    if isinstance(plan, d.PodPlan) and plan.desired is not None:
        return plan, plan.desired
    raise InvalidInput(f"{plan.subject or 'the plan'} is not a pod plan")


def apply(conn: Connection, plan: Plan, images_applied: Optional[Set[int]] = None) -> Applied:
    """Carry out the plan; ``after`` is the pod as the CRI then reports it (None when
    absent); ``details`` has the sandbox id and the container ids by name.
    ``images_applied``: ids of image plans already carried out (a state document applies
    its images first, and a pod shares the plan of the images entry that provides its image)."""
    pod_plan, desired = _pod_plan(plan)
    done: Dict[str, Any] = {"steps": []}
    images = conn.with_namespace(CRI_NAMESPACE)
    applied = set() if images_applied is None else images_applied
    for image in plan.children:
        if image.changed and id(image) not in applied:
            with _failing_as(plan, "image " + image.all_actions()[0].kind, done):
                image_reconciler.apply(images, image)
                done["steps"].append(image.subject)
            applied.add(id(image))
    for c in desired.containers if desired.state != "absent" else []:
        with _failing_as(plan, f"image {c.image}", done):
            _wait_for_cri_image(conn, c.image)
    run = _Run(conn, pod_plan, desired)
    for action in plan.actions:
        with _failing_as(plan, action.kind, done):
            run.step(action)
            done["steps"].append(action.kind)
    after = pod_report(conn, run.sandbox_id) if run.sandbox_id else None
    return Applied(plan, after=after, details={"sandbox_id": run.sandbox_id, "ids": run.ids})
