"""What every ocirt Ansible module shares: the connection options and error handling.

Modules stay thin: they build the desired state from their parameters, call a reconciler or
report inside ``run_with_connection`` and return what it gives back.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Dict

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ..common.errors import OcirtError
from ..hosts_toml.reader import DEFAULT_CONFIG_PATH as DEFAULT_REGISTRY_CONFIG_PATH
from ..transport.connection import DEFAULT_ADDRESS, DEFAULT_TIMEOUT, GRPC_IMPORT_ERROR, Connection

DEFAULT_NAMESPACE = "default"  # containerd's (and ctr's) default namespace

# The options every module of the action group (meta/runtime.yml) accepts, so that
# module_defaults for group/ocirt.containerd.containerd can set them without "Unsupported
# parameters" (as community.docker's docker_* modules share theirs). A module for which one
# means nothing accepts and ignores it, and its notes say so. Mirrored in
# doc_fragments/connection.py; the sanity test checks they agree.
CONNECTION_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "address": {
        "type": "str",
        "default": DEFAULT_ADDRESS,
        "fallback": (env_fallback, ["CONTAINERD_ADDRESS"]),
    },
    "timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
    "namespace": {"type": "str", "default": DEFAULT_NAMESPACE},
    # no default here: unset means /etc/containerd/certs.d for pulls and the registry module,
    # but "leave it alone" for the config module, which writes it into config.toml
    "registry_config_path": {"type": "path"},
}


def argument_spec(**options: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """A module's own options plus the shared connection options."""
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(options)
    return spec


def registry_config_path(params: Dict[str, Any]) -> str:
    """The hosts.toml directory the module's parameters name, else containerd's default."""
    return params.get("registry_config_path") or DEFAULT_REGISTRY_CONFIG_PATH


def jsonable(value: Any) -> Any:
    """Module results must be JSON: datetimes become RFC 3339 strings, bytes are dropped."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return None
    return value


def run_with_connection(  # being replaced by _ansible.runner.run

    module: AnsibleModule, work: Callable[[Connection], Dict[str, Any]]
) -> None:
    """Open the connection, run ``work`` and exit the module with its result.

    Library errors become ``fail_json`` with the library's message: never a traceback.
    """
    if GRPC_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("grpcio"), exception=GRPC_IMPORT_ERROR)
    try:
        with Connection(module.params["address"], timeout=module.params["timeout"]) as conn:
            result = work(conn)
    except OcirtError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    module.exit_json(**jsonable(result))
