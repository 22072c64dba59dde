"""Every module documents the options it takes, as it takes them; the container option
table, its doc fragment and ``ContainerOptions`` say the same (pure: no daemon needed).

The documentation is what ``ansible-doc`` shows (a module's DOCUMENTATION merged with its
doc fragments); the argument_spec is what the module's ``main()`` hands to
``AnsibleModule``, captured there before anything runs. Each difference is reported with
the module, the option (dotted for suboptions) and the field.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from ansible.module_utils import basic
from ansible_collections.ocirt.containerd.plugins.doc_fragments import container_options
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    option_table,
    options,
)
from ansible_collections.ocirt.containerd.plugins.modules import container as _container

MODULES_DIR = Path(_container.__file__).resolve().parent
#: the collections root the modules were imported from, so ansible-doc reads the same files
COLLECTIONS_ROOT = MODULES_DIR.parents[4]
MODULES = sorted(p.stem for p in MODULES_DIR.glob("*.py") if p.stem != "__init__")
FIELDS = ("type", "default", "choices", "elements", "required", "aliases")


class _Captured(Exception):
    """Raised in place of AnsibleModule.__init__: the argument_spec is all we need."""


def _argument_spec(module_name: str, monkeypatch: pytest.MonkeyPatch) -> Dict[str, Any]:
    seen: Dict[str, Any] = {}

    def capture(self: Any, argument_spec: Dict[str, Any], **_: Any) -> None:
        seen.update(argument_spec)
        raise _Captured

    monkeypatch.setattr(basic.AnsibleModule, "__init__", capture)
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": {}}).encode())
    module = importlib.import_module(
        f"ansible_collections.ocirt.containerd.plugins.modules.{module_name}"
    )
    with pytest.raises(_Captured):
        module.main()
    return seen


@pytest.fixture(scope="module")
def documented() -> Dict[str, Dict[str, Any]]:
    """Every module's merged documentation, from one ansible-doc run."""
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT)}
    names = [f"ocirt.containerd.{m}" for m in MODULES]
    ansible_doc = Path(sys.executable).parent / "ansible-doc"
    done = subprocess.run(
        [str(ansible_doc), "-t", "module", "--json", *names],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    docs = json.loads(done.stdout)
    return {m: docs[f"ocirt.containerd.{m}"]["doc"].get("options") or {} for m in MODULES}


def _normal(field: str, value: Any) -> Any:
    if field == "type":
        return value or "str"
    if field == "required":
        return bool(value)
    if isinstance(value, tuple):
        return list(value)
    return value if value != [] or field != "aliases" else None


def differences(doc: Dict[str, Any], spec: Dict[str, Any], where: str = "") -> List[str]:
    """What differs between documented options and an argument_spec, one line each."""
    out = []
    for name in sorted(set(doc) | set(spec)):
        label = f"{where}{name}"
        if name not in doc:
            out.append(f"{label}: in the argument_spec but not documented")
            continue
        if name not in spec:
            out.append(f"{label}: documented but not in the argument_spec")
            continue
        for field in FIELDS:
            d, s = _normal(field, doc[name].get(field)), _normal(field, spec[name].get(field))
            if d != s:
                out.append(f"{label}: {field} is {d!r} in the docs, {s!r} in the argument_spec")
        sub_doc, sub_spec = doc[name].get("suboptions"), spec[name].get("options")
        if sub_doc or sub_spec:
            out.extend(differences(sub_doc or {}, sub_spec or {}, f"{label}."))
    return out


@pytest.mark.parametrize("module_name", MODULES)
def test_documented_options_are_the_argument_spec(module_name, documented, monkeypatch):
    spec = _argument_spec(module_name, monkeypatch)
    found = differences(documented[module_name], spec)
    assert not found, f"module {module_name}:\n  " + "\n  ".join(found)


def test_differences_name_option_and_field():
    doc = {"a": {"type": "int", "default": 1}, "b": {"suboptions": {"c": {"choices": [1]}}}}
    spec = {"a": {"type": "int", "default": 2}, "b": {"options": {"c": {}}}, "d": {}}
    assert differences(doc, spec) == [
        "a: default is 1 in the docs, 2 in the argument_spec",
        "b.c: choices is [1] in the docs, None in the argument_spec",
        "d: in the argument_spec but not documented",
    ]


def _fragment_options() -> Dict[str, Any]:
    return yaml.safe_load(container_options.ModuleDocFragment.DOCUMENTATION)["options"]


def test_the_doc_fragment_documents_the_container_table():
    fragment = _fragment_options()
    found = []
    for option in option_table.CONTAINER_TABLE:
        doc = fragment.get(option.name)
        if doc is None:
            found.append(f"{option.name}: in the table, not in the doc fragment")
            continue
        declared = {
            "type": option.type,
            "default": option.default,
            "choices": option.choices,
            "elements": option.elements,
        }
        for field, value in declared.items():
            if _normal(field, doc.get(field)) != _normal(field, value):
                found.append(f"{option.name}: {field} is {doc.get(field)!r}, the table {value!r}")
        described = doc.get("description")
        described = [described] if isinstance(described, str) else described or []
        if option.doc not in described:
            found.append(f"{option.name}: the table's doc line is not in its description")
    found += [
        f"{n}: documented, not in the table"
        for n in fragment
        if n not in option_table.CONTAINER_TABLE
    ]
    assert not found, "doc_fragments/container_options.py:\n  " + "\n  ".join(found)


def test_container_options_are_the_canonical_table_options():
    fields = {f.name: f for f in dataclasses.fields(options.ContainerOptions)}
    assert list(fields) == [o.name for o in option_table.CANONICAL_OPTIONS]
    for option in option_table.CANONICAL_OPTIONS:
        default = fields[option.name].default
        if default is not dataclasses.MISSING:
            assert default == option.default, option.name
