"""What a container is and does: one container in detail, or all of them for ``ps``.

``list_containers`` costs two calls whatever the number of containers (Containers.List and
Tasks.List), where per-container calls make nerdctl's ps take tens of seconds at a few
hundred containers.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..api import containers as containers_api
from ..api import tasks
from ..transport.connection import Connection
from . import labels as L
from .lifecycle import get_container
from .spec import summarize
from .state import describe_state, oom_kills


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


def _row(container: Mapping[str, Any], task: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    labels = container.get("labels") or {}
    state = describe_state(container, task)
    spec = decode_spec(container)
    return {
        "id": container["id"],
        "image": container.get("image", ""),
        "command": list((spec.get("process") or {}).get("args") or []),
        "created_at": container.get("created_at"),
        "managed": labels.get(L.MANAGED) == "true",
        "restart_policy": labels.get(L.RESTART_POLICY)
        or ("always" if labels.get(L.RESTART_STATUS) else "no"),
        "labels": dict(labels),
        **state,
    }


def list_containers(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """One row per container: id, image, command, created_at, managed, restart_policy,
    labels, status, pid, exit_code, exited_at, started_at, oom_killed, restart_count (None:
    restarted by containerd 1.6, which does not count). Two API calls."""
    records = containers_api.list_containers(conn, filters)
    by_id = {(t.get("container_id") or t["id"]): t for t in tasks.list_tasks(conn)}
    rows = [_row(c, by_id.get(c["id"])) for c in records]
    return sorted(rows, key=lambda r: r["id"])


def inspect_container(conn: Connection, container_id: str) -> Dict[str, Any]:
    """Everything about one container: state (status, pid, exit code and time, OOM kill,
    start time), image and digest, labels, whether ocirt manages it and the configuration it
    stored, a summary of the effective spec, runtime and snapshot, and the log path."""
    container = get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    row = _row(container, task)
    if row["status"] == "stopped" and task is not None:
        row["oom_killed"] = oom_kills(conn, container_id) > 0
    labels = container.get("labels") or {}
    spec = decode_spec(container)
    row.update(
        {
            "image_digest": labels.get(L.IMAGE_DIGEST, ""),
            "config_hash": labels.get(L.CONFIG_HASH, ""),
            "config": stored_config(container),
            "spec": summarize(spec) if spec else {},
            "runtime": (container.get("runtime") or {}).get("name", ""),
            "snapshotter": container.get("snapshotter", ""),
            "snapshot_key": container.get("snapshot_key", ""),
            "updated_at": container.get("updated_at"),
            "log_path": labels.get(L.LOG_PATH, ""),
        }
    )
    return row
