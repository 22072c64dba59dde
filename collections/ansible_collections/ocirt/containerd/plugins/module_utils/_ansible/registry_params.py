"""The Ansible side of registries: the options of modules that pull (documented in
doc_fragments/registry_access.py), and the registry module's results (its parameters become a
desired state in reconcile/registry.desired_from).

The hosts.toml directory, registry_config_path, is a shared connection option
(module_support.CONNECTION_ARGUMENT_SPEC), so module_defaults for the group can set it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..hosts_toml.writer import mask_secrets
from ..images.pull import RegistryAccess
from ..reconcile.plan import Applied, Plan
from ..reconcile.registry import HostsOutcome
from .file_diff import FileDiff, file_diff
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


def hosts_diff(plan: Plan) -> FileDiff:
    """hosts.toml before and after, header values masked."""
    outcome: HostsOutcome = plan.after
    after = outcome.text if plan.changed else plan.before
    return file_diff(outcome.path, plan.before, after, mask_secrets)


def hosts_report(plan: Plan, applied: Optional[Applied]) -> Dict[str, Any]:
    """The registry module's own result keys (secrets never appear in them)."""
    outcome: HostsOutcome = plan.after
    return {"path": outcome.path, "files": outcome.files(), "restart_required": False}
