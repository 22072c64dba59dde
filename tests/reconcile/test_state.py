"""The state document's planner without a daemon: a document + what containerd and the
registry have -> the summary lines and actions, or every problem of the document.

Each file in data/state/ is one case:

- ``document``: a state document as a user writes it.
- ``observed``: ``namespaces`` (name -> labels) that exist; ``images`` (name -> digest) that
  are present and complete in the namespace of the entry that needs them; ``remote`` (name ->
  digest) that the registry serves; ``containers`` (namespace/name or name -> a record as
  in data/container: ``made_from``, ``image_digest``, ``task``, ``labels``; the document's
  group label is added to ``made_from`` unless ``group`` names another).
  ``networks`` (name -> {current, users}); ``pods`` (name -> {sandboxes}, as in data/pod).
  ``archives`` (path -> {image name -> digest}) that an archive_path holds.
- ``expected``: ``summary`` (the readable lines) and ``actions`` ([action, target, reason],
  every action of the document in order, a shared image once), or ``problems`` (every error
  of an invalid document, each with its path), or ``refused`` (the planner's refusal of a
  valid document, e.g. an image nobody provides).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping

import pytest
import yaml
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.observed import from_data
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import container
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.containers import (
    GROUP_LABEL,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.image import (
    ObservedImage,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.namespace import (
    ObservedNamespace,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.network import (
    ObservedNetworks,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.state import document as doc
from ansible_collections.ocirt.containerd.plugins.module_utils.state import outcome, reconcile
from ansible_collections.ocirt.containerd.plugins.module_utils.state.entries import CONTAINER_ENTRY
from reconcile.test_container import record, task

DATA = Path(__file__).parent / "data" / "state"
CASES = sorted(DATA.glob("*.yaml"))
INDEX = "application/vnd.oci.image.index.v1+json"


def _image(ns: str, desired: Any, observed: Mapping[str, Any]) -> ObservedImage:
    found = ObservedImage(desired.name, ns)
    digest = (observed.get("images") or {}).get(desired.name)
    if digest:
        found.record = {"name": desired.name, "digest": digest, "media_type": INDEX}
        found.state = {"complete": True, "unpacked": True, "missing": [], "manifest": None}
    archive = (observed.get("archives") or {}).get(desired.archive_path) or {}
    found.archive = [
        {"names": [name], "descriptor": {"digest": digest, "mediaType": INDEX, "size": 1}}
        for name, digest in archive.items()
    ]
    remote = (observed.get("remote") or {}).get(desired.name)
    if remote:
        descriptor = {"digest": remote, "mediaType": INDEX, "size": 1}
        found.remote = {
            "name": desired.name,
            "descriptor": descriptor,
            "host": "registry",
            "endpoint": None,
        }
    return found


def _listing(ns: str, document: doc.StateDocument, specs: Mapping[str, Any]) -> container.Listing:
    records: Dict[str, Any] = {}
    tasks: Dict[str, Any] = {}
    for key, spec in specs.items():
        where, _, name = key.rpartition("/")
        if (where or document.namespace) != ns:
            continue
        spec = dict(spec)
        if spec.get("managed", True):
            group = spec.get("group", document.group)
            made = dict(spec["made_from"])
            made["labels"] = {**(made.get("labels") or {}), GROUP_LABEL: group}
            spec["made_from"] = made
        records[name] = record(name, spec)
        if spec.get("task"):
            tasks[name] = task(spec["task"])
    return container.Listing(records, tasks)


def _network(name: str, networks: Mapping[str, Any]) -> ObservedNetworks:
    """``networks``: name -> {current: the network as BridgeNetwork.as_dict, users: [ns-id]}."""
    spec = networks.get(name) or {}
    return ObservedNetworks(
        current=spec.get("current"),
        others={k: v["current"] for k, v in networks.items() if k != name and v.get("current")},
        users=list(spec.get("users") or []),
    )


def observed_state(document: doc.StateDocument, observed: Mapping[str, Any]) -> Any:
    namespaces = observed.get("namespaces") or {}
    return reconcile.ObservedState(
        namespaces={
            d.name: ObservedNamespace(
                {"name": d.name, "labels": namespaces[d.name]} if d.name in namespaces else None
            )
            for d in document.namespaces
        },
        images={
            key: _image(ns, desired, observed)
            for key, (ns, desired) in reconcile.image_wants(document).items()
        },
        listings={
            ns: _listing(ns, document, observed.get("containers") or {})
            for ns in document.container_namespaces()
        },
        networks={
            d.name: _network(d.name, observed.get("networks") or {}) for d in document.networks
        },
        pods={
            path: from_data((observed.get("pods") or {}).get(pod.name) or {})
            for path, pod in document.pods
        },
    )


def _actions(plan: Any) -> List[List[str]]:
    return [[s["action"], s["target"], s["reason"]] for s in plan.summaries()]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    expected = case["expected"]
    document, problems = doc.check(case["document"])
    if "problems" in expected:
        assert problems == expected["problems"]
        return
    assert problems == [] and document is not None
    seen = observed_state(document, case.get("observed") or {})
    if "refused" in expected:
        with pytest.raises(InvalidInput) as refused:
            reconcile.decide(document, seen)
        assert str(refused.value) == expected["refused"]
        return
    plan = reconcile.decide(document, seen)
    report = outcome.report(plan, document, "diff")
    assert outcome.summary_lines(report, document.namespace) == expected["summary"]
    assert _actions(plan) == [list(a) for a in expected.get("actions", [])]
    assert report["changed"] is bool(expected.get("actions"))


def test_two_new_networks_of_one_document_get_two_subnets() -> None:
    """Each network is planned knowing those before it: neither takes the other's free
    subnet, nor the one a network on the node already has."""
    case = yaml.safe_load((DATA / "networks_around_containers.yaml").read_text())
    document, _ = doc.check(case["document"])
    assert document is not None
    plan = reconcile.decide(document, observed_state(document, case["observed"]))
    subnets = [s.plan.after["subnet"] for s in plan.steps if s.kind == "network" and s.plan.after]
    assert subnets == ["10.7.2.0/24", "10.7.3.0/24"]


def test_cases_exist() -> None:
    assert len(CASES) >= 6


# -- the JSON Schema and the reading of a document --------------------------------------------

SHIPPED_SCHEMA = (
    Path(__file__).parents[2]
    / "collections/ansible_collections/ocirt/containerd/docs/state-document.schema.json"
)


def test_shipped_schema_is_the_generated_one() -> None:
    from ansible_collections.ocirt.containerd.plugins.module_utils.state.schema import schema_text

    assert SHIPPED_SCHEMA.read_text() == schema_text(), "regenerate it: ocirt schema > " + str(
        SHIPPED_SCHEMA
    )


def test_schema_accepts_what_ocirt_accepts_and_names_unknown_keys() -> None:
    import json

    import jsonschema

    schema = json.loads(SHIPPED_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    good = yaml.safe_load((DATA / "declared_image_new_digest.yaml").read_text())["document"]
    jsonschema.validate(good, schema)
    bad = {"containers": [{"name": "a", "image": "x", "colour": "blue"}]}
    with pytest.raises(jsonschema.ValidationError, match="colour"):
        jsonschema.validate(bad, schema)
    assert set(schema["$defs"]["container_entry"]["properties"]) == set(CONTAINER_ENTRY.names())


def test_json_needs_no_pyyaml_and_yaml_says_what_it_needs() -> None:
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['yaml'] = None\n"
        "from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import "
        "parse_text\n"
        "print(parse_text('{\"containers\": []}'))\n"
        "try:\n    parse_text('containers: []')\nexcept Exception as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.splitlines() == [
        "{'containers': []}",
        "the document is YAML, which needs PyYAML (Debian: python3-yaml); install it, or "
        "give the document as JSON",
    ], out.stderr
