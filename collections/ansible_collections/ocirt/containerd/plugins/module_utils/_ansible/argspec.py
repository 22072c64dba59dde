"""Ansible argument_specs generated from the library's option tables (``common/options.py``)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from ..common.options import Option, OptionTable


def option_spec(option: Option) -> Dict[str, Any]:
    """The argument_spec entry of one option."""
    spec: Dict[str, Any] = {"type": option.type}
    if option.default is not None:
        spec["default"] = option.default
    if option.required:
        spec["required"] = True
    if option.choices is not None:
        spec["choices"] = list(option.choices)
    if option.elements:
        spec["elements"] = option.elements
    if option.no_log:
        spec["no_log"] = True
    if option.aliases:
        spec["aliases"] = list(option.aliases)
    if option.suboptions is not None:
        spec["options"] = table_spec(option.suboptions)
    return spec


def table_spec(
    table: OptionTable, only: Optional[Iterable[str]] = None
) -> Dict[str, Dict[str, Any]]:
    """The argument_spec of a whole table, or of the options named in ``only``."""
    names = list(only) if only is not None else list(table.names())
    return {name: option_spec(table[name]) for name in names}
