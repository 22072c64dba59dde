"""The container lifecycle's hooks into ``cni/attach``: the pinned namespace and files in
the spec at creation, networks set up before each task start, torn down at removal.

What to do is read from the container's stored configuration, so any later run (the CLI
after the module, a run after a crash) undoes exactly what was done. State paths come from
``CniPaths.from_environment()`` (``OCIRT_CNI_ROOT`` relocates them).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from ..cni import attach
from ..cni.paths import CniPaths
from ..transport.connection import Connection
from .record import decode_spec, stored_config


def _context(
    conn: Connection, container_id: str, config: Mapping[str, Any]
) -> Tuple[CniPaths, attach.Where]:
    paths = CniPaths.from_environment()
    return paths, attach.where(paths, conn.address, conn.namespace or "default", container_id)


def prepare_spec(
    conn: Connection, container_id: str, config: Mapping[str, Any], spec: Dict[str, Any]
) -> None:
    _, place = _context(conn, container_id, config)
    attach.prepare_spec(spec, config, place)


def before_start(conn: Connection, container: Mapping[str, Any]) -> None:
    config = stored_config(container) or {}
    if not attach.needs_files(config):
        return
    paths, place = _context(conn, container["id"], config)
    hostname = decode_spec(container).get("hostname") or container["id"]
    attach.setup(paths, place, container["id"], config, hostname)


def after_task_gone(conn: Connection, container: Mapping[str, Any]) -> bool:
    """Tear the networks down once the task is gone (before the record goes, so that a
    failure leaves the record to retry with)."""
    config = stored_config(container) or {}
    if not attach.needs_files(config):
        return False
    paths, place = _context(conn, container["id"], config)
    return attach.teardown(paths, place, config)


def addresses(conn: Connection, container: Mapping[str, Any]) -> Dict[str, List[str]]:
    config = stored_config(container) or {}
    paths, place = _context(conn, container["id"], config)
    return attach.addresses(paths, place, config)
