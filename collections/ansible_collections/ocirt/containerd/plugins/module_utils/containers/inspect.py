"""What a container is and does: one container in detail, or all of them for ``ps``.

``list_containers`` costs two calls whatever the number of containers (Containers.List and
Tasks.List), where per-container calls make nerdctl's ps take tens of seconds at a few
hundred containers. The spec summary and the networks (the CNI client) are loaded by
``inspect_container`` only, so that ``ps`` does not pay for them.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..api import containers as containers_api
from ..api import tasks
from ..transport.connection import Connection
from . import labels as L
from .record import decode_spec, get_container, is_managed, labels_of, stored_config
from .state import ContainerState, Task, describe_state, oom_kills


class ContainerRow(ContainerState):
    """One line of ``ps``: the container and its state."""

    id: str
    image: str
    command: List[str]
    created_at: Optional[datetime.datetime]
    managed: bool  # ocirt created it
    restart_policy: str
    labels: Dict[str, str]
    ports: List[Dict[str, Any]]  # published ports, cni.ports form


class ContainerInspection(ContainerRow):
    """One container in detail."""

    image_digest: str
    config_hash: str
    config: Optional[Dict[str, Any]]  # the canonical configuration ocirt stored
    spec: Dict[str, Any]  # a summary of the OCI spec (spec.summarize)
    runtime: str
    snapshotter: str
    snapshot_key: str
    updated_at: Optional[datetime.datetime]
    log_path: str
    networks: Dict[str, List[str]]  # network -> the container's addresses on it


def _row(container: Mapping[str, Any], task: Optional[Task]) -> ContainerRow:
    labels = labels_of(container)
    spec = decode_spec(container)
    return ContainerRow(
        id=container["id"],
        image=container.get("image", ""),
        command=list((spec.get("process") or {}).get("args") or []),
        created_at=container.get("created_at"),
        managed=is_managed(container),
        restart_policy=labels.get(L.RESTART_POLICY)
        or ("always" if labels.get(L.RESTART_STATUS) else "no"),
        labels=dict(labels),
        ports=list((stored_config(container) or {}).get("published_ports") or []),
        **describe_state(container, task),
    )


def list_containers(conn: Connection, filters: Sequence[str] = ()) -> List[ContainerRow]:
    """One row per container, sorted by id. Two API calls."""
    records = containers_api.list_containers(conn, filters)
    by_id = {(t.get("container_id") or t["id"]): t for t in tasks.list_tasks(conn)}
    rows = [_row(c, by_id.get(c["id"])) for c in records]
    return sorted(rows, key=lambda r: r["id"])


def inspect_container(conn: Connection, container_id: str) -> ContainerInspection:
    """Everything about one container: its row (with an OOM kill of a stopped task), image
    digest, the configuration ocirt stored, a summary of the effective spec, runtime and
    snapshot, and the log path."""
    from . import networking
    from .spec import summarize

    container = get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    row = _row(container, task)
    if row["status"] == "stopped" and task is not None:
        row["oom_killed"] = oom_kills(conn, container_id) > 0
    labels = labels_of(container)
    spec = decode_spec(container)
    return ContainerInspection(
        **row,
        image_digest=labels.get(L.IMAGE_DIGEST, ""),
        config_hash=labels.get(L.CONFIG_HASH, ""),
        config=stored_config(container),
        spec=summarize(spec) if spec else {},
        runtime=(container.get("runtime") or {}).get("name", ""),
        snapshotter=container.get("snapshotter", ""),
        snapshot_key=container.get("snapshot_key", ""),
        updated_at=container.get("updated_at"),
        log_path=labels.get(L.LOG_PATH, ""),
        networks=networking.addresses(conn, container),
    )
