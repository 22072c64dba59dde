"""The Ansible argument spec of a container's options, shared by the container modules.

Generated from ``containers.option_table.CONTAINER_TABLE``; the library validates the values
(``ContainerOptions.from_dict``), so the spec says types, defaults and choices. Documented in
doc_fragments/container_options.py, which ``tests/collection/test_option_tables.py`` checks
against the table.
"""

from __future__ import annotations

from typing import Any, Dict

from ..containers.option_table import CANONICAL_OPTIONS, CONTAINER_TABLE
from ..containers.options import ContainerOptions
from .argspec import table_spec

CONTAINER_OPTIONS: Dict[str, Dict[str, Any]] = table_spec(
    CONTAINER_TABLE, only=[option.name for option in CANONICAL_OPTIONS]
)

PULL_OPTION: Dict[str, Dict[str, Any]] = table_spec(CONTAINER_TABLE, only=["pull"])


def container_options(params: Dict[str, Any]) -> ContainerOptions:
    """ContainerOptions from module parameters (unset ones take the library's defaults)."""
    return ContainerOptions.from_dict({k: params.get(k) for k in CONTAINER_OPTIONS})
