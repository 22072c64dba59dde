"""The image planner without a daemon: desired + observed (data/image/*.json) -> actions with
their reasons, the no-op reason, or the refusal.

Each file: ``desired`` (DesiredImage's fields), ``observed`` (ObservedImage's fields: the
record, its local state, tags, users, what the registry serves, the archive's images) and
one of ``actions`` ([{action, target, reason}]), ``noop`` (the reason) or ``error``
({type, match}); optionally ``after`` (the image after the plan) and ``needs_remote``
(whether observing asks the registry).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.manage import ImageInUse
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import image

DATA = Path(__file__).parent / "data" / "image"
CASES = sorted(DATA.glob("*.json"))
ERRORS = {"InvalidInput": InvalidInput, "ImageInUse": ImageInUse}


def _load(path: Path) -> Dict[str, Any]:
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_plan(path: Path) -> None:
    case = _load(path)
    desired = image.DesiredImage(**case["desired"])
    if "error" in case:
        with pytest.raises(ERRORS[case["error"]["type"]], match=case["error"]["match"]):
            desired.validate()
            observed = image.ObservedImage(desired.name, **case["observed"])
            image.decide(desired, observed)
        return
    desired.validate()
    observed = image.ObservedImage(desired.name, **case["observed"])
    if "needs_remote" in case:
        assert image.needs_remote(desired, observed) is case["needs_remote"]
    plan = image.decide(desired, observed)
    assert plan.summaries() == case.get("actions", [])
    assert plan.noop_reason == case.get("noop", "")
    assert plan.subject == f"image {desired.name}"
    if "after" in case:
        assert plan.after == case["after"]


def test_every_case_says_what_it_expects() -> None:
    assert CASES
    for path in CASES:
        case = _load(path)
        assert case.get("why"), path.name
        assert sum(k in case for k in ("actions", "noop", "error")) == 1, path.name


def test_an_empty_plan_always_says_why() -> None:
    desired = image.DesiredImage("busybox", platform="linux/arm64/v8")
    desired.validate()
    observed = image.ObservedImage(
        desired.name,
        record={"name": desired.name, "digest": "sha256:1", "media_type": "x"},
        state={"complete": True, "unpacked": True, "missing": [], "manifest": "sha256:2"},
    )
    plan = image.decide(desired, observed)
    assert not plan.changed
    assert re.search("linux/arm64", plan.noop_reason)


def _documented_options(module: str) -> Dict[str, Any]:
    """The options section of a module's DOCUMENTATION, read without importing Ansible."""
    import ast

    import yaml

    path = Path(__file__).parents[2] / (
        f"collections/ansible_collections/ocirt/containerd/plugins/modules/{module}.py"
    )
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            return yaml.safe_load(ast.literal_eval(node.value))["options"]
    raise AssertionError(f"{path} has no DOCUMENTATION")


@pytest.mark.parametrize("module", ["image", "image_info"])
def test_documented_options_are_the_table(module: str) -> None:
    """What DOCUMENTATION says of each option is what the table makes the argument_spec."""
    from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import (
        table_spec,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.options import (
        IMAGE_INFO_OPTIONS,
        IMAGE_OPTIONS,
    )

    table = IMAGE_OPTIONS if module == "image" else IMAGE_INFO_OPTIONS
    documented = _documented_options(module)
    keys = ("type", "default", "choices", "required", "elements", "aliases")
    assert sorted(documented) == sorted(table.names())
    for name, spec in table_spec(table).items():
        doc = {k: v for k, v in documented[name].items() if k in keys}
        assert doc == {k: v for k, v in spec.items() if k in keys}, name


class _Blobs:
    """An in-memory provider: the blobs of a built index, minus those taken away."""

    def __init__(self, built: Any) -> None:
        blobs = [built.index]
        for platform in built.images:
            blobs += [platform.manifest, *platform.blobs()]
        self.data = {b.digest: b.data for b in blobs}

    def present(self, descriptor: Any) -> bool:
        return descriptor["digest"] in self.data

    def read(self, descriptor: Any) -> bytes:
        return self.data[descriptor["digest"]]


def test_graph_complete_means_every_blob_of_the_platform() -> None:
    """The one meaning of "complete" (images/graph.py), on a two-platform index."""
    from ansible_collections.ocirt.containerd.plugins.module_utils.images import graph
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.platforms import (
        parse as parse_platform,
    )
    from harness.images import busybox_index, host_arch, other_arch

    built = busybox_index().build()
    here = next(b for b in built.images if b.platform["architecture"] == host_arch())
    there = next(b for b in built.images if b.platform["architecture"] == other_arch())
    blobs = _Blobs(built)
    wanted = parse_platform(f"linux/{host_arch()}")

    check = graph.Image(blobs, built.index.descriptor()).check(wanted)
    assert check.available and check.missing == []
    assert check.manifest is not None and check.manifest.digest == here.digest
    assert [d["digest"] for d in check.required] == [
        built.index.digest,
        here.manifest.digest,
        here.config.digest,
        *[layer.digest for layer in here.layers],
    ]
    assert check.manifest.chain_ids()[0] == here.diff_ids[0]

    del blobs.data[there.layers[0].digest]  # the other platform's layer does not count here
    image = graph.Image(blobs, built.index.descriptor())
    assert image.check(wanted).available
    assert [m.digest for m in image.present()] == [here.digest]

    del blobs.data[here.layers[-1].digest]
    check = graph.Image(blobs, built.index.descriptor()).check(wanted)
    assert not check.available and check.missing == [here.layers[-1].digest]

    del blobs.data[built.index.digest]
    check = graph.Image(blobs, built.index.descriptor()).check(wanted)
    assert check.manifest is None and check.missing == [built.index.digest]
