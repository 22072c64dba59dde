"""What a running containerd is: version, plugins, snapshotters, CRI, namespaces.

Read-only; behind the `info` module and `ocirt info`. The shapes below are the module's
documented RETURN values.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

from ..api import containers, cri, images, introspection, namespaces, version
from ..transport.connection import Connection

SNAPSHOTTER_TYPE = "io.containerd.snapshotter.v1"
CRI_PLUGIN = ("io.containerd.grpc.v1", "cri")


class PluginEntry(TypedDict):
    type: str
    id: str
    status: str  # ok, skip or error, as `ctr plugins ls` prints it
    error: Optional[str]
    platforms: List[str]
    exports: Dict[str, str]
    capabilities: List[str]
    requires: List[str]


class SnapshotterEntry(TypedDict):
    id: str
    status: str
    root: Optional[str]
    error: Optional[str]


class CriInfo(TypedDict):
    served: bool
    api_versions: List[str]
    plugin_status: str
    error: Optional[str]
    runtime_name: Optional[str]
    runtime_version: Optional[str]


class NamespaceSummary(TypedDict):
    images: int
    containers: int


class NamespaceEntry(TypedDict):
    name: str
    labels: Dict[str, str]
    images: int
    containers: int


class Deprecation(TypedDict):
    id: str
    message: str


class DaemonInfo(TypedDict):
    address: str
    version: str
    revision: str
    uuid: Optional[str]
    pid: Optional[int]
    deprecated_features: List[Deprecation]
    plugins: List[PluginEntry]
    failed_plugins: List[PluginEntry]
    snapshotters: List[SnapshotterEntry]
    cri: CriInfo
    namespaces: List[NamespaceEntry]


def _plugin_entry(p: Dict[str, Any]) -> PluginEntry:
    err = p["init_err"]
    return {
        "type": p["type"],
        "id": p["id"],
        "status": introspection.plugin_status(p),
        "error": err["message"] if err else None,
        "platforms": [
            "/".join(x for x in (pl["os"], pl["architecture"], pl["variant"]) if x)
            for pl in p["platforms"]
        ],
        "exports": p["exports"],
        "capabilities": p["capabilities"],
        "requires": p["requires"],
    }


def _cri_info(conn: Connection, plugins: List[PluginEntry]) -> CriInfo:
    plugin = next((p for p in plugins if (p["type"], p["id"]) == CRI_PLUGIN), None)
    served = []
    answer = None
    for api in cri.API_VERSIONS:
        reply = cri.runtime_version(conn, api)
        if reply is not None:
            served.append(api)
            answer = answer or reply
    return {
        "served": bool(served),
        "api_versions": served,
        "plugin_status": plugin["status"] if plugin else "absent",
        "error": plugin["error"] if plugin else None,
        "runtime_name": answer["runtime_name"] if answer else None,
        "runtime_version": answer["runtime_version"] if answer else None,
    }


def _snapshotter(p: PluginEntry) -> SnapshotterEntry:
    return {
        "id": p["id"],
        "status": p["status"],
        "root": p["exports"].get("root"),
        "error": p["error"],
    }


def namespace_summary(conn: Connection, name: str) -> NamespaceSummary:
    view = conn.with_namespace(name)
    return {
        "images": len(images.list_images(view)),
        "containers": len(containers.list_containers(view)),
    }


def _namespace_entries(conn: Connection) -> List[NamespaceEntry]:
    entries: List[NamespaceEntry] = []
    for ns in sorted(namespaces.list_namespaces(conn), key=lambda n: n["name"]):
        counts = namespace_summary(conn, ns["name"])
        entries.append(
            {
                "name": ns["name"],
                "labels": ns["labels"],
                "images": counts["images"],
                "containers": counts["containers"],
            }
        )
    return entries


def gather_info(conn: Connection) -> DaemonInfo:
    ver = version.get_version(conn)
    server = introspection.server_info(conn) or {}
    plugins = [_plugin_entry(p) for p in introspection.list_plugins(conn)]
    return {
        "address": conn.address,
        "version": ver["version"],
        "revision": ver["revision"],
        "uuid": server.get("uuid"),
        "pid": server.get("pid") or None,
        "deprecated_features": [
            {"id": d["id"], "message": d["message"]} for d in server.get("deprecations", [])
        ],
        "plugins": plugins,
        "failed_plugins": [p for p in plugins if p["status"] == "error"],
        "snapshotters": [_snapshotter(p) for p in plugins if p["type"] == SNAPSHOTTER_TYPE],
        "cri": _cri_info(conn, plugins),
        "namespaces": _namespace_entries(conn),
    }
