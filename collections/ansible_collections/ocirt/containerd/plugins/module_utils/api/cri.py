"""The Kubernetes CRI (runtime.v1, and v1alpha2 on containerd 1.x) served on the same socket."""

from __future__ import annotations

from typing import Any, Dict, Optional, TypedDict

from ..common.errors import OcirtError
from ..transport.connection import Connection, Method, Service
from ..wire.schema import BOOL, STRING, Field, MapOf, Proto

PROTO = "kubernetes/cri-api pkg/apis/runtime/v1/api.proto"
API_VERSIONS = ("v1", "v1alpha2")


def _version_method(api: str) -> Method:
    file = Proto(PROTO, f"runtime.{api}")
    request = file.message("VersionRequest", Field(1, "version", STRING))
    response = file.message(
        "VersionResponse",
        Field(1, "version", STRING),
        Field(2, "runtime_name", STRING),
        Field(3, "runtime_version", STRING),
        Field(4, "runtime_api_version", STRING),
    )
    return Service(f"runtime.{api}.RuntimeService").method("Version", request, response)


VERSION = {api: _version_method(api) for api in API_VERSIONS}


class CriVersion(TypedDict):
    """RuntimeService.Version's answer, as decoded from VersionResponse."""

    version: str
    runtime_name: str
    runtime_version: str
    runtime_api_version: str


def runtime_version(conn: Connection, api: str = "v1") -> Optional[CriVersion]:
    """The CRI Version answer for one API version, or None if that API is not served."""
    try:
        # the CRI plugin works in namespace k8s.io whatever the header says
        reply = conn.call(VERSION[api], {"version": "v1"}, namespace=None, timeout=10)
    except OcirtError:
        return None
    return CriVersion(
        version=reply["version"],
        runtime_name=reply["runtime_name"],
        runtime_version=reply["runtime_version"],
        runtime_api_version=reply["runtime_api_version"],
    )


# --- RuntimeService.Status: what the running CRI plugin really loaded --------------------

_V1 = Proto(PROTO, "runtime.v1")
RUNTIME_CONDITION = _V1.message(
    "RuntimeCondition",
    Field(1, "type", STRING),
    Field(2, "status", BOOL),
    Field(3, "reason", STRING),
    Field(4, "message", STRING),
)
RUNTIME_STATUS = _V1.message(
    "RuntimeStatus", Field(1, "conditions", RUNTIME_CONDITION, repeated=True)
)
STATUS = Service("runtime.v1.RuntimeService").method(
    "Status",
    _V1.message("StatusRequest", Field(1, "verbose", BOOL)),
    _V1.message(
        "StatusResponse",
        Field(1, "status", RUNTIME_STATUS),
        Field(2, "info", MapOf(STRING, STRING)),
    ),
)


def runtime_status(conn: Connection, verbose: bool = True) -> Dict[str, Any]:
    """CRI Status; with verbose, ``info`` holds JSON documents such as the plugin's
    effective ``config`` (what the running daemon really loaded)."""
    return conn.call(STATUS, {"verbose": verbose}, namespace=None, timeout=10)
