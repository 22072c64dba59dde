"""`ocirt node diff|apply -f FILE`: containerd itself on this host (installed, configured,
its registries, its service), from a node document (module_utils/node).

``diff`` plans the document and prints what would change (exit 2 if anything would, 0 if
not); ``apply`` plans and applies each section in turn (exit 0), or with ``--check`` only
plans (exit 2 on drift). ``--json`` prints the ``ocirt.state/v1`` shape, as ``ocirt diff``
does. No call to containerd is made except the service's readiness check.
"""

from __future__ import annotations

import argparse

from ansible_collections.ocirt.containerd.plugins.module_utils.node import (
    document as node_document,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.node import (
    report as node_report,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.node import run as node_run
from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import read_document
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .document_verbs import add_verbs, show


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    node = sub.add_parser(
        "node", help="containerd on this host: installed, configured, registries, service"
    )
    node_sub = node.add_subparsers(dest="node_command", metavar="COMMAND", required=True)
    helps = [
        "bring this host to a document",
        "what applying a node document would change (exit 2)",
    ]
    document = "the node document (install, config, registries, service)"
    add_verbs(node_sub, common, document, helps, _run)


def _run(args: argparse.Namespace, conn: Connection, mode: str) -> int:
    document = node_document.parse(read_document(args.file))  # before anything is touched
    report = node_run.run(document, mode, args.address)
    return show(report, "", args.diff, args.json, node_report.diff_lines)
