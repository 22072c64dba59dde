"""A state document checked, planned and (in mode ``apply``) applied: the one sequence
``ocirt apply|diff`` and the public API's ``Client.apply`` both call.

The document is checked whole before any call to containerd (every problem at once, each
with its path); the result is the ``ocirt.state/v1`` report of ``outcome.py``.
"""

from __future__ import annotations

from typing import Any

from ..common.defaults import DEFAULT_NAMESPACE
from ..images.pull import RegistryAccess
from ..transport.connection import Connection
from . import reconcile
from .document import StateDocument, parse
from .outcome import StateReport, report


def load(raw: Any, conn: Connection, hosts_dir: str, prune: bool = False) -> StateDocument:
    """The parsed document (``raw``: its mapping) with the connection's namespace as its
    default and images pulled through the hosts.toml of ``hosts_dir``; ``prune`` as if the
    document said it."""
    access = RegistryAccess(config_path=hosts_dir, timeout=conn.timeout)
    document = parse(raw, conn.namespace or DEFAULT_NAMESPACE, access)
    document.prune = document.prune or prune
    return document


def run(conn: Connection, document: StateDocument, mode: str) -> StateReport:
    """Plan the document (``diff``, ``check``) or plan and carry the plan out (``apply``)."""
    planned = reconcile.plan(conn, document)
    if mode == "apply" and planned.changed:
        reconcile.apply(conn, document, planned)
    return report(planned, document, mode)
