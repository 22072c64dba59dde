"""introspection.v1.Introspection: which plugins the daemon loaded, and the server itself."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from ..common.errors import Unimplemented
from ..transport.connection import Connection, Method
from ..wire.schema import STRING, UINT64, Field, MapOf, Message
from ..wire.wellknown import EMPTY, RPC_STATUS, TIMESTAMP
from .types import PLATFORM

PROTO = "containerd/containerd api/services/introspection/v1/introspection.proto"

PLUGIN = Message(
    "containerd.services.introspection.v1.Plugin",
    PROTO,
    [
        Field(1, "type", STRING),
        Field(2, "id", STRING),
        Field(3, "requires", STRING, repeated=True),
        Field(4, "platforms", PLATFORM, repeated=True),
        Field(5, "exports", MapOf(STRING, STRING)),
        Field(6, "capabilities", STRING, repeated=True),
        Field(7, "init_err", RPC_STATUS),
    ],
)

PLUGINS_REQUEST = Message(
    "containerd.services.introspection.v1.PluginsRequest",
    PROTO,
    [Field(1, "filters", STRING, repeated=True)],
)
PLUGINS_RESPONSE = Message(
    "containerd.services.introspection.v1.PluginsResponse",
    PROTO,
    [Field(1, "plugins", PLUGIN, repeated=True)],
)

DEPRECATION_WARNING = Message(
    "containerd.services.introspection.v1.DeprecationWarning",
    PROTO,
    [Field(1, "id", STRING), Field(2, "message", STRING), Field(3, "last_occurrence", TIMESTAMP)],
)

SERVER_RESPONSE = Message(
    "containerd.services.introspection.v1.ServerResponse",
    PROTO,
    [
        Field(1, "uuid", STRING),
        Field(2, "pid", UINT64),  # 1.7+
        Field(3, "pidns", UINT64),  # 1.7+
        Field(4, "deprecations", DEPRECATION_WARNING, repeated=True),  # 2.0+
    ],
)

_SERVICE = "/containerd.services.introspection.v1.Introspection/"
PLUGINS = Method(_SERVICE + "Plugins", PLUGINS_REQUEST, PLUGINS_RESPONSE)
SERVER = Method(_SERVICE + "Server", EMPTY, SERVER_RESPONSE)


def list_plugins(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Every plugin the daemon registered, including those that failed to initialise."""
    return conn.call(PLUGINS, {"filters": list(filters)}, namespace=None)["plugins"]


def server_info(conn: Connection) -> Optional[Dict[str, Any]]:
    """uuid (and pid, pidns, deprecations on newer daemons); None where not served."""
    try:
        return conn.call(SERVER, namespace=None)
    except Unimplemented:
        return None


def plugin_status(plugin: Dict[str, Any]) -> str:
    """'ok', 'skip' (not applicable on this host) or 'error', as `ctr plugins ls` says."""
    err = plugin.get("init_err")
    if not err:
        return "ok"
    return "skip" if "skip plugin" in err.get("message", "") else "error"
