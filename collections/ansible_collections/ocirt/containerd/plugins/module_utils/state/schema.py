"""The state document's JSON Schema, derived from the option tables (``entries.py``).

Editors check a document with it (``# yaml-language-server: $schema=...``); the collection
ships it as ``docs/state-document.schema.json`` and ``ocirt schema`` prints it, and a test
keeps the two equal. The schema is as lenient as the modules are: a number is accepted for a
string, as Ansible's ``type: str`` accepts it; the values themselves (sizes, signals, mount
specs) are checked by ocirt, not by the schema.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict

from ..common.options import Option, OptionTable
from .entries import DOCUMENT, SECTIONS

SCHEMA_ID = "https://ocirt.example/schemas/state-document.schema.json"
_MARKUP = re.compile(r"\b[A-Z]\(([^)]*)\)")
_JSON_TYPES: Dict[str, Any] = {
    "str": ["string", "number"],
    "path": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "dict": "object",
    "list": "array",
}


def _plain(doc: str) -> str:
    return _MARKUP.sub(r"\1", doc)


def option_schema(option: Option) -> Dict[str, Any]:
    schema: Dict[str, Any] = {"description": _plain(option.doc)}
    if option.type in _JSON_TYPES:
        schema["type"] = _JSON_TYPES[option.type]
    if option.choices is not None:
        schema["enum"] = list(option.choices)
    if option.default not in (None, [], {}):
        schema["default"] = option.default
    if option.elements and option.elements in _JSON_TYPES:
        schema["items"] = {"type": _JSON_TYPES[option.elements]}
    if option.no_log:
        schema["writeOnly"] = True
    return schema


def table_schema(table: OptionTable) -> Dict[str, Any]:
    """One entry: exactly the table's keys (and their aliases)."""
    properties = {o.name: option_schema(o) for o in table}
    for option in table:
        for alias in option.aliases:
            properties[alias] = {"$ref": f"#/$defs/{_def(table)}/properties/{option.name}"}
    return {
        "type": "object",
        "properties": properties,
        "required": [o.name for o in table if o.required],
        "additionalProperties": False,
    }


def _def(table: OptionTable) -> str:
    return table.domain.replace(" ", "_")


def document_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a state document."""
    properties = {o.name: option_schema(o) for o in DOCUMENT}
    defs = {}
    for key, table in SECTIONS.items():
        defs[_def(table)] = table_schema(table)
        properties[key]["items"] = {"$ref": f"#/$defs/{_def(table)}"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ocirt state document",
        "description": "The namespaces, images and containers of a containerd node "
        "(ocirt apply, ocirt diff, ocirt.containerd.state).",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as shipped: sorted keys, two-space indent, a final newline."""
    return json.dumps(document_schema(), indent=2, sort_keys=True) + "\n"
