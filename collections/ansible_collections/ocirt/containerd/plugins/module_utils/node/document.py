"""A node document checked into its sections, each with every option filled in.

Each section takes exactly the options of the module of its name, from the same option
tables, and is filled with the modules' defaults, as Ansible's argument_spec fills a
module's parameters; a bad option is refused naming the section, the option and what it
allows, before anything is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..common.errors import InvalidInput
from ..common.options import Option, OptionTable
from ..config.options import CONFIG_FILE_OPTIONS, CONFIG_OPTIONS
from ..hosts_toml.options import HOST_OPTIONS
from ..hosts_toml.reader import DEFAULT_CONFIG_PATH
from ..reconcile import install, service
from ..state.document import checked_entry

CONFIG_SECTION = OptionTable("config", [*CONFIG_FILE_OPTIONS, *CONFIG_OPTIONS])
REGISTRY_ITEM = OptionTable(
    "registry",
    [
        Option("config_path", "path", "The registry hosts directory.", DEFAULT_CONFIG_PATH),
        *HOST_OPTIONS,
    ],
)
SECTIONS: Dict[str, OptionTable] = {
    "install": install.INSTALL_OPTIONS,
    "config": CONFIG_SECTION,
    "registries": REGISTRY_ITEM,
    "service": service.SERVICE_OPTIONS,
}


def _filled(table: OptionTable, values: Mapping[str, Any]) -> Dict[str, Any]:
    """The values with every option not given at its default, suboptions too (as Ansible's
    argument_spec fills a module's parameters)."""
    filled: Dict[str, Any] = {}
    for option in table:
        value = values.get(option.name)
        value = option.default if value is None else value
        sub = option.suboptions
        if sub is not None and isinstance(value, dict):
            value = _filled(sub, value)
        elif sub is not None and isinstance(value, list):
            value = [_filled(sub, v) if isinstance(v, dict) else v for v in value]
        filled[option.name] = value
    return filled


def _section(key: str, raw: Any, path: str) -> Dict[str, Any]:
    values, problems = checked_entry(SECTIONS[key], raw, path)
    if problems or values is None:
        raise InvalidInput(f"the node document: {'; '.join(problems)}")
    return _filled(SECTIONS[key], {k: v for k, v in values.items() if v is not None})


@dataclass
class NodeDocument:
    """The sections given, each with every option filled in (None: no such section)."""

    install: Optional[Dict[str, Any]] = None
    config: Optional[Dict[str, Any]] = None
    registries: List[Dict[str, Any]] = field(default_factory=list)
    service: Optional[Dict[str, Any]] = None


def parse(raw: Any) -> NodeDocument:
    """The document, or InvalidInput naming the section, the option and what it allows."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"the node document: expected a mapping of {', '.join(SECTIONS)}, got {raw!r}"
        )
    unknown = sorted(set(raw) - set(SECTIONS), key=str)
    if unknown:
        raise InvalidInput(
            f"the node document: unknown section(s) {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(SECTIONS)}"
        )
    items = raw.get("registries") or []
    if not isinstance(items, list):
        raise InvalidInput(f"registries: expected a list of registry hosts, got {items!r}")
    return NodeDocument(
        install=_section("install", raw["install"], "install") if "install" in raw else None,
        config=_section("config", raw["config"], "config") if "config" in raw else None,
        registries=[_section("registries", r, f"registries[{i}]") for i, r in enumerate(items)],
        service=_section("service", raw["service"], "service") if "service" in raw else None,
    )
