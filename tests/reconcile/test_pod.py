"""The pod planner from data files, no daemon: desired pod options + what the CRI has ->
actions with reasons, the no-op reason, or the refusal (data/pod/*.yaml).

An observed sandbox or container gives ``made_from`` (the options it was made with, the
same form as ``desired``); the annotations ocirt would have stored are computed from it,
so a case reads as "made like this, declared like that". Without ``made_from`` it is a pod
ocirt did not make. ``observed.cgroup_driver`` (systemd or cgroupfs, the default) is the
driver of the pod's runtime; ``cgroup_parent`` the parent the plan's sandbox gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from ansible_collections.ocirt.containerd.plugins.module_utils.cri.linux_messages import NODE, POD
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import config_hash as ch
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import decide, desired
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.observed import from_data
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import image
from reconcile.cases import checked_plan

CASES = sorted((Path(__file__).parent / "data" / "pod").glob("*.yaml"))


def _pod_annotations(options: Dict[str, Any]) -> Dict[str, str]:
    made = desired.from_options(options)
    identity = ch.sandbox_identity(made.sandbox_config, made.runtime_handler)
    return ch.stamped(made.sandbox_config, identity)["annotations"]


def _container_annotations(entry: Dict[str, Any], network: str) -> Dict[str, str]:
    entry = dict(entry)
    digest = entry.pop("image_digest", None)
    filled = desired._filled(desired.CONTAINER_OPTIONS, entry)
    config = desired.container_config(filled, NODE if network == "host" else POD)
    return ch.stamped(config, ch.container_identity(config, digest))["annotations"]


def _image_plans(digests: Dict[str, str]) -> List[Any]:
    """Image plans as the image reconciler makes them for present images."""
    plans = []
    for name, digest in digests.items():
        wanted = image.DesiredImage(name)
        wanted.validate()
        summary = {"name": wanted.name, "digest": digest, "media_type": ""}
        plans.append(image.ImagePlan([], summary, summary, "present", desired=wanted))
    return plans


def _observed(data: Dict[str, Any]) -> Any:
    sandboxes = []
    for s in data.get("sandboxes", []):
        s = dict(s)
        made = s.pop("made_from", None)
        network = (made or {}).get("network", "pod")
        if made is not None:
            s["annotations"] = _pod_annotations(made)
        containers = []
        for c in s.get("containers", []):
            c = dict(c)
            entry = c.pop("made_from", None)
            if entry is not None:
                c["annotations"] = _container_annotations(entry, network)
            containers.append(c)
        s["containers"] = containers
        sandboxes.append(s)
    found = from_data(
        {"sandboxes": sandboxes, "cgroup_driver": data.get("cgroup_driver", "cgroupfs")}
    )
    found.images = _image_plans(data.get("images", {}))
    return found


def _plan(case: Dict[str, Any]) -> Any:
    return decide.decide(desired.from_options(case["desired"]), _observed(case["observed"]))


def _load(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = _load(path)
    planned = checked_plan(case, _plan)
    if "cgroup_parent" in case:  # the parent the sandbox is compared and made with
        assert planned is not None and planned.desired is not None
        assert planned.desired.sandbox_config["linux"]["cgroup_parent"] == case["cgroup_parent"]


def test_every_empty_plan_says_why() -> None:
    for path in CASES:
        case = _load(path)
        if "error" not in case and not case.get("actions"):
            assert _plan(case).noop_reason, path.name


def test_the_uid_is_derived_from_namespace_and_name() -> None:
    one = desired.from_options({"name": "web", "containers": [{"name": "a", "image": "x"}]})
    two = desired.from_options({"name": "web", "containers": [{"name": "a", "image": "x"}]})
    other = desired.from_options(
        {"name": "web", "pod_namespace": "prod", "containers": [{"name": "a", "image": "x"}]}
    )
    uid = one.sandbox_config["metadata"]["uid"]
    assert uid == two.sandbox_config["metadata"]["uid"] != other.sandbox_config["metadata"]["uid"]
