"""What every ocirt Ansible module shares: connection options and error handling.

Modules stay thin: they build the desired state from their parameters, call a reconciler or
report inside ``run_with_connection`` and return what it gives back.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Dict

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from .transport.connection import DEFAULT_ADDRESS, DEFAULT_TIMEOUT, GRPC_IMPORT_ERROR, Connection
from .transport.errors import OcirtError

# Mirrored in doc_fragments/connection.py; the sanity test checks they agree.
CONNECTION_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "address": {
        "type": "str",
        "default": DEFAULT_ADDRESS,
        "fallback": (env_fallback, ["CONTAINERD_ADDRESS"]),
    },
    "timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
}


def argument_spec(**options: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """A module's own options plus the connection options."""
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    spec.update(options)
    return spec


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


def run_with_connection(
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
