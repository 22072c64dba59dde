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
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import RegistryAccess
from ansible_collections.ocirt.containerd.plugins.module_utils.state import (
    document as state_document,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.state import outcome, reconcile
from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import read_document
from ansible_collections.ocirt.containerd.plugins.module_utils.state.schema import schema_text
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .output import print_json

EXIT_DRIFT = 2  # diff and apply --check: the node is not as the document says


def _document_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-f",
        "--file",
        required=True,
        metavar="FILE",
        help="the state document, YAML or JSON; - reads standard input",
    )
    p.add_argument("--diff", action="store_true", help="show each changed entry before/after")
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
    apply = sub.add_parser(
        "apply", parents=[common], help="bring namespaces, images and containers to a document"
    )
    _document_flags(apply)
    apply.add_argument(
        "--check", action="store_true", help="only say what would change (exit 2 if anything)"
    )
    apply.set_defaults(run=run_apply)
    diff = sub.add_parser(
        "diff", parents=[common], help="what applying a document would change (exit 2 if any)"
    )
    _document_flags(diff)
    diff.set_defaults(run=run_diff, check=True)
    schema = sub.add_parser("schema", parents=[common], help="the state document's JSON Schema")
    schema.set_defaults(run=run_schema)


def _load(args: argparse.Namespace) -> state_document.StateDocument:
    access = RegistryAccess(config_path=args.hosts_dir, timeout=args.timeout)
    document = state_document.parse(read_document(args.file), args.namespace or "default", access)
    if args.prune:
        document.prune = True
    return document


def _print_text(report: outcome.StateReport, namespace: str, diff: bool) -> None:
    lines = outcome.summary_lines(report, namespace)
    changed = [e for e in report["entries"] if e["changed"]]
    for line, entry in zip(lines, changed):
        print(line)
        if diff:
            for text in outcome.diff_lines(entry, namespace):
                print("    " + text)
    for line in lines[len(changed) :]:
        print(line)


def _run(args: argparse.Namespace, conn: Connection, mode: str) -> int:
    document = _load(args)  # an invalid document ends here, before any call to containerd
    planned = reconcile.plan(conn, document)
    if mode == "apply" and planned.changed:
        reconcile.apply(conn, document, planned)
    report = outcome.report(planned, document, mode)
    if args.json:
        print_json(report)
    else:
        _print_text(report, document.namespace, args.diff)
    return EXIT_DRIFT if mode != "apply" and planned.changed else 0


def run_apply(args: argparse.Namespace, conn: Connection) -> int:
    return _run(args, conn, "check" if args.check else "apply")


def run_diff(args: argparse.Namespace, conn: Connection) -> int:
    return _run(args, conn, "diff")


def run_schema(args: argparse.Namespace, conn: Connection) -> int:
    print(schema_text(), end="")
    return 0
