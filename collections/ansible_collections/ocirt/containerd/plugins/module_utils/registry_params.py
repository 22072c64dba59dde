"""The Ansible options of modules that pull (documented in doc_fragments/registry_access.py)."""

from __future__ import annotations

from typing import Any, Dict

from .images.pull import DEFAULT_CONFIG_PATH, RegistryAccess

REGISTRY_ACCESS_OPTIONS: Dict[str, Dict[str, Any]] = {
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "docker_config": {"type": "path"},
    "registry_config_path": {"type": "path", "default": DEFAULT_CONFIG_PATH},
}


def registry_access(params: Dict[str, Any]) -> RegistryAccess:
    return RegistryAccess(
        config_path=params["registry_config_path"],
        username=params.get("username") or "",
        password=params.get("password") or "",
        docker_config=params.get("docker_config"),
        timeout=params["timeout"],
    )
