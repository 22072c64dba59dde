"""The config and registry modules document exactly the options of their tables: name,
type, choices, elements, default and suboptions, so DOCUMENTATION cannot drift from what the
argument_spec (generated from the table) accepts."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml
from ansible_collections.ocirt.containerd.plugins.module_utils.common.options import (
    OptionTable,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.options import (
    CONFIG_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.options import (
    HOST_OPTIONS,
)

MODULES = Path(__file__).resolve().parents[2] / (
    "collections/ansible_collections/ocirt/containerd/plugins/modules"
)


def documented(module: str) -> Dict[str, Any]:
    tree = ast.parse((MODULES / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)["options"]
    raise AssertionError(f"{module} has no DOCUMENTATION")


def compare(table: OptionTable, docs: Dict[str, Any], where: str) -> None:
    for option in table:
        assert option.name in docs, f"{where}{option.name} is not documented"
        doc = docs[option.name]
        assert doc["type"] == option.type, f"{where}{option.name}: type"
        assert doc.get("choices") == (list(option.choices) if option.choices else None), (
            f"{where}{option.name}: choices")
        assert doc.get("elements") == option.elements, f"{where}{option.name}: elements"
        assert doc.get("default") == option.default, f"{where}{option.name}: default"
        assert bool(doc.get("required")) == option.required, f"{where}{option.name}: required"
        if option.suboptions is not None:
            assert set(doc["suboptions"]) == set(option.suboptions.names()), where
            compare(option.suboptions, doc["suboptions"], f"{where}{option.name}.")


@pytest.mark.parametrize("module,table", [("config", CONFIG_OPTIONS), ("registry", HOST_OPTIONS)])
def test_module_documents_its_table(module, table):
    compare(table, documented(module), f"{module}: ")
