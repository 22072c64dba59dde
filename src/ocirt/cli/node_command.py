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
from ansible_collections.ocirt.containerd.plugins.module_utils.state import outcome
from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import read_document
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .output import print_json
from .state_command import EXIT_DRIFT


def _flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-f",
        "--file",
        required=True,
        metavar="FILE",
        help="the node document (install, config, registries, service), YAML or JSON; "
        "- reads standard input",
    )
    p.add_argument("--diff", action="store_true", help="show each changed entry before/after")


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    node = sub.add_parser(
        "node", help="containerd on this host: installed, configured, registries, service"
    )
    node_sub = node.add_subparsers(dest="node_command", metavar="COMMAND", required=True)
    apply = node_sub.add_parser("apply", parents=[common], help="bring this host to a document")
    _flags(apply)
    apply.add_argument(
        "--check", action="store_true", help="only say what would change (exit 2 if anything)"
    )
    apply.set_defaults(run=run_apply)
    diff = node_sub.add_parser(
        "diff", parents=[common], help="what applying a node document would change (exit 2)"
    )
    _flags(diff)
    diff.set_defaults(run=run_diff, check=True)


def _print_text(report: outcome.StateReport, diff: bool) -> None:
    """One line per changed entry (with ``--diff`` its before/after), then the rest."""
    lines = outcome.summary_lines(report, "")
    changed = [e for e in report["entries"] if e["changed"]]
    for line, entry in zip(lines, changed):
        print(line)
        for text in node_report.diff_lines(entry) if diff else []:
            print("    " + text)
    for line in lines[len(changed) :]:
        print(line)


def _run(args: argparse.Namespace, mode: str) -> int:
    document = node_document.parse(read_document(args.file))  # before anything is touched
    report = node_run.run(document, mode, args.address)
    if args.json:
        print_json(report)
    else:
        _print_text(report, args.diff)
    return EXIT_DRIFT if mode != "apply" and report["changed"] else 0


def run_apply(args: argparse.Namespace, conn: Connection) -> int:
    return _run(args, "check" if args.check else "apply")


def run_diff(args: argparse.Namespace, conn: Connection) -> int:
    return _run(args, "diff")
