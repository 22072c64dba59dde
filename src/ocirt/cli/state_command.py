"""`ocirt apply -f FILE`, `ocirt diff -f FILE` and `ocirt schema`: a whole state document.

``diff`` plans the document and prints what would change (exit 2 if anything would, 0 if
not): the drift gate of a pipeline. ``apply`` plans and carries the plan out (exit 0), or
with ``--check`` only plans (exit 2 on drift, as ``diff``). Every error, an invalid
document included (all its problems, each with its path), exits 1 before anything is
touched. ``--json`` prints the one documented shape of ``state/outcome.py`` (README, "The
JSON shape") for the plan and for the result.
"""

from __future__ import annotations

import argparse

from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.reader import (
    DEFAULT_CONFIG_PATH,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.state import run
from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import read_document
from ansible_collections.ocirt.containerd.plugins.module_utils.state.schema import schema_text
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .document_verbs import add_verbs, show


def _state_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove containers of the document's group that it no longer lists",
    )
    p.add_argument(
        "--hosts-dir",
        default=DEFAULT_CONFIG_PATH,
        help="hosts.toml directory (default %(default)s)",
    )


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    helps = [
        "bring namespaces, images and containers to a document",
        "what applying a document would change (exit 2 if any)",
    ]
    add_verbs(sub, common, "the state document", helps, _run, _state_flags)
    schema = sub.add_parser("schema", parents=[common], help="the state document's JSON Schema")
    schema.set_defaults(run=run_schema)


def _run(args: argparse.Namespace, conn: Connection, mode: str) -> int:
    # an invalid document ends here, before any call to containerd
    document = run.load(read_document(args.file), conn, args.hosts_dir, args.prune)
    report = run.run(conn, document, mode)
    return show(report, document.namespace, args.diff, args.json)


def run_schema(args: argparse.Namespace, conn: Connection) -> int:
    print(schema_text(), end="")
    return 0
