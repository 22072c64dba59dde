"""What a running containerd is: version, plugins, snapshotters, CRI, namespaces.

Read-only; behind the `info` module and `ocirt info`.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ..api import containers, cri, images, introspection, namespaces, version
from ..transport.connection import Connection

SNAPSHOTTER_TYPE = "io.containerd.snapshotter.v1"
CRI_PLUGIN = ("io.containerd.grpc.v1", "cri")


def _plugin_entry(p: Dict[str, Any]) -> Dict[str, Any]:
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


def _cri_info(conn: Connection, plugins: List[Dict[str, Any]]) -> Dict[str, Any]:
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


def namespace_summary(conn: Connection, name: str) -> Dict[str, Any]:
    view = conn.with_namespace(name)
    return {
        "images": len(images.list_images(view)),
        "containers": len(containers.list_containers(view)),
    }


def gather_info(conn: Connection) -> Dict[str, Any]:
    ver = version.get_version(conn)
    server = introspection.server_info(conn) or {}
    plugins = [_plugin_entry(p) for p in introspection.list_plugins(conn)]
    ns_list = []
    for ns in sorted(namespaces.list_namespaces(conn), key=lambda n: n["name"]):
        entry = {"name": ns["name"], "labels": ns["labels"]}
        entry.update(namespace_summary(conn, ns["name"]))
        ns_list.append(entry)
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
        "snapshotters": [
            {
                "id": p["id"],
                "status": p["status"],
                "root": p["exports"].get("root"),
                "error": p["error"],
            }
            for p in plugins
            if p["type"] == SNAPSHOTTER_TYPE
        ],
        "cri": _cri_info(conn, plugins),
        "namespaces": ns_list,
    }
