"""The Ansible options of modules that pull (documented in doc_fragments/registry_access.py).

The hosts.toml directory, registry_config_path, is a shared connection option
(module_support.CONNECTION_ARGUMENT_SPEC), so module_defaults for the group can set it.
"""

from __future__ import annotations

from typing import Any, Dict

from ..images.pull import RegistryAccess
from .module_support import registry_config_path

REGISTRY_ACCESS_OPTIONS: Dict[str, Dict[str, Any]] = {
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "docker_config": {"type": "path"},
}


def registry_access(params: Dict[str, Any]) -> RegistryAccess:
    return RegistryAccess(
        config_path=registry_config_path(params),
        username=params.get("username") or "",
        password=params.get("password") or "",
        docker_config=params.get("docker_config"),
        timeout=params["timeout"],
    )
