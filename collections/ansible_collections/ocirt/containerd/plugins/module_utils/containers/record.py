"""The container record: containerd's Container (id, image, runtime, spec, snapshot, labels).

The record is all containerd keeps of a container besides its task, and all ocirt keeps too
(labels.py): whether ocirt made it, the configuration it was made from, its log file and its
last exit. Reading what ocirt stored on a record (its spec, its configuration) is here, so
the rest of the library never digs in a record's extensions itself.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional

from ..api import containers as containers_api
from ..api.containers import update_labels
from ..common.errors import NotFound
from ..transport.connection import Connection
from . import labels as L


class ContainerNotFound(NotFound):
    pass


def get_container(conn: Connection, container_id: str) -> Dict[str, Any]:
    """The container record; ContainerNotFound with the namespace named if absent."""
    try:
        return conn.call(containers_api.GET, {"id": container_id})["container"]
    except NotFound:
        raise ContainerNotFound(
            f"no container {container_id!r} in namespace {conn.namespace!r}"
        ) from None


def create_record(conn: Connection, record: Mapping[str, Any], lease: str) -> None:
    """Containers.Create under ``lease`` (the lease that holds the record's snapshot)."""
    conn.call(containers_api.CREATE, {"container": dict(record)}, lease=lease)


def delete_record(conn: Connection, container_id: str) -> None:
    """Containers.Delete; a record already gone is no error."""
    try:
        conn.call(containers_api.DELETE, {"id": container_id})
    except NotFound:
        pass


def labels_of(container: Mapping[str, Any]) -> Mapping[str, str]:
    return container.get("labels") or {}


def is_managed(container: Mapping[str, Any]) -> bool:
    """Whether ocirt created the container (and so keeps its state on the record)."""
    return labels_of(container).get(L.MANAGED) == "true"


def record_exit(
    conn: Connection, container: Mapping[str, Any], exit_status: int, exited_at: Any, oom: bool
) -> None:
    """Keep a deleted task's exit on a record ocirt manages (a record gone meanwhile is fine)."""
    if not is_managed(container):
        return
    changes = {
        L.EXIT_CODE: str(exit_status),
        L.EXITED_AT: L.format_time(exited_at),
        L.OOM_KILLED: "true" if oom else None,
    }
    try:
        update_labels(conn, container["id"], changes)
    except NotFound:
        pass


def decode_spec(container: Mapping[str, Any]) -> Dict[str, Any]:
    """The OCI spec stored on a record ({} if it has none or it is not JSON)."""
    raw = (container.get("spec") or {}).get("value") or b""
    try:
        return json.loads(bytes(raw)) if raw else {}
    except ValueError:
        return {}


def stored_config(container: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The canonical desired configuration ocirt stored at creation (None if not ocirt's)."""
    ext = (container.get("extensions") or {}).get(L.CONFIG_EXTENSION)
    if not ext or not ext.get("value"):
        return None
    try:
        return json.loads(bytes(ext["value"]))
    except ValueError:
        return None
