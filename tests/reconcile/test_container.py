"""The container planner without a daemon: declared + observed -> actions with reasons.

Each file in data/container/ is one case, in pyinfra's fixture style:

- ``desired``: one container (``name``, ``state``, ``recreate``, ``restart``, ``adopt``,
  ``pull`` and ``options``: container options as the module takes them), or a set
  (``containers``: the containers module's items, ``group``, ``purge``).
- ``observed``: ``image`` (or ``images`` by name for a set): the image reconciler's plan,
  its ``digest`` after and its ``actions`` as [kind, reason]; ``container`` (or
  ``containers`` by name): a record, either one ocirt made (``made_from``: the options,
  ``image_digest``: the digest then; built by create.py's own steps) or a foreign one
  (``managed: false``), with ``labels`` and a ``task`` (``status``, ``pid``) if it has one.
- ``expected``: ``actions`` as [action, target, reason] (a set: by container name, and
  ``set_actions`` for the whole set), or ``noop_reason``, or ``error`` (a part of the
  InvalidInput message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import pytest
import yaml
from ansible_collections.ocirt.containerd.plugins.module_utils.api import tasks
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import create
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images import graph
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    container,
    containers,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import Action, Plan

DATA = Path(__file__).parent / "data" / "container"
CASES = sorted(DATA.glob("*.yaml"))
STATUS = {name: number for number, name in tasks.STATUS_NAMES.items()}


def image_plan(name: str, spec: Mapping[str, Any]) -> Plan:
    after = {
        "name": name,
        "digest": spec["digest"],
        "media_type": "application/vnd.oci.image.index.v1+json",
    }
    actions = [Action(kind, name, reason) for kind, reason in spec.get("actions") or []]
    before = None if any(a.kind == "pull" for a in actions) else after
    return Plan(actions, before=before, after=after)


def record(name: str, spec: Mapping[str, Any]) -> Dict[str, Any]:
    """A container record as containerd lists it."""
    found: Dict[str, Any] = {"id": name, "image": spec.get("image", ""), "labels": {}}
    if spec.get("managed", True):
        options = ContainerOptions.from_dict(spec["made_from"])
        image = graph.RunnableImage(options.image, spec["image_digest"], {}, "sha256:top", [])
        found.update(create.with_snapshot(options, name))
        log = f"/var/log/ocirt/default/{name}.log"
        found.update(create.with_labels(options, image, log, "file://" + log))
        found.update(create.with_config(options, image))
        found["image"] = options.image
    found["labels"].update(spec.get("labels") or {})
    return found


def task(spec: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if spec is None:
        return None
    return {
        "id": "",
        "pid": spec.get("pid", 4242),
        "status": STATUS[spec["status"]],
        "exit_status": spec.get("exit_status", 0),
        "exited_at": None,
    }


def observed_container(name: str, spec: Optional[Mapping[str, Any]]) -> container.Listing:
    if spec is None:
        return container.Listing({}, {})
    t = task(spec.get("task"))
    return container.Listing({name: record(name, spec)}, {name: t} if t else {})


def desired_container(spec: Mapping[str, Any]) -> container.DesiredContainer:
    options = spec.get("options")
    return container.DesiredContainer(
        name=spec["name"],
        options=ContainerOptions.from_dict(options) if options else None,
        state=spec.get("state", "started"),
        recreate=spec.get("recreate", False),
        restart=spec.get("restart", False),
        pull=spec.get("pull", "missing"),
        adopt=spec.get("adopt", False),
    )


def decide_one(case: Mapping[str, Any]) -> Plan:
    wanted = desired_container(case["desired"])
    observed = case.get("observed") or {}
    listing = observed_container(wanted.name, observed.get("container"))
    image = observed.get("image")
    plan = image_plan(wanted.wanted().image, image) if image else None
    return container.decide(wanted, listing.of(wanted.name, plan))


def decide_set(case: Mapping[str, Any]) -> Plan:
    spec = case["desired"]
    group = spec.get("group", "default")
    wanted = containers.DesiredContainers(
        [
            containers.from_item(item, group, spec.get("pull", "missing"))
            for item in spec["containers"]
        ],
        purge_group=group if spec.get("purge") else None,
    )
    observed = case.get("observed") or {}
    records, by_name = {}, {}
    for name, c in (observed.get("containers") or {}).items():
        records[name] = record(name, c)
        if c.get("task"):
            by_name[name] = task(c["task"])
    images = {}
    for name, image in (observed.get("images") or {}).items():
        for d in wanted.containers:
            if d.state != "absent" and d.wanted().image == name:
                images[(name, d.pull, d.wanted().snapshotter)] = image_plan(name, image)
    return containers.decide(
        wanted, containers.ObservedContainers(container.Listing(records, by_name), images)
    )


def summaries(plan: Plan) -> List[List[str]]:
    return [[s["action"], s["target"], s["reason"]] for s in plan.summaries()]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_planned(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    expected = case["expected"]
    is_set = "containers" in case["desired"]
    decide = decide_set if is_set else decide_one
    if "error" in expected:
        with pytest.raises(InvalidInput, match=expected["error"]):
            decide(case)
        return
    plan = decide(case)
    assert plan.changed or plan.noop_reason, "an empty plan says why"
    if "noop_reason" in expected:
        assert not plan.changed, summaries(plan)
        assert plan.noop_reason == expected["noop_reason"]
    if is_set and "actions" in expected:
        got = {containers.outcome(c)["name"]: summaries(c) for c in plan.children}
        assert got == {k: v or [] for k, v in expected["actions"].items()}
        assert all(c.changed or c.noop_reason for c in plan.children)
        if "set_actions" in expected:  # what the set does: a shared image once
            assert summaries(plan) == expected["set_actions"]
    elif "actions" in expected:
        assert summaries(plan) == expected["actions"]
        assert plan.noop_reason == ""


def test_cases_exist() -> None:
    assert len(CASES) >= 10
