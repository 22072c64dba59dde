"""`apply` and `diff` over a document, as `ocirt apply|diff` (a state document) and `ocirt
node apply|diff` (a node document) both take them: the same flags, the same exit codes,
the same text.

``diff`` plans the document and prints what would change (exit 2 if anything would, 0 if
not); ``apply`` plans and applies (exit 0), or with ``--check`` only plans (exit 2 on
drift, as ``diff``). ``--diff`` shows each changed entry's before/after under its line.
"""

from __future__ import annotations

import argparse
from typing import Callable, List

from ansible_collections.ocirt.containerd.plugins.module_utils.state import outcome
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .output import print_json

EXIT_DRIFT = 2  # diff and apply --check: the node is not as the document says

#: how a verb runs: the parsed flags, the connection and the mode (apply, check or diff)
Runner = Callable[[argparse.Namespace, Connection, str], int]


def _document_flags(p: argparse.ArgumentParser, document: str) -> None:
    p.add_argument(
        "-f",
        "--file",
        required=True,
        metavar="FILE",
        help=f"{document}, YAML or JSON; - reads standard input",
    )
    p.add_argument("--diff", action="store_true", help="show each changed entry before/after")


def add_verbs(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    document: str,
    helps: List[str],
    run: Runner,
    more_flags: Callable[[argparse.ArgumentParser], None] = lambda p: None,
) -> None:
    """``apply`` and ``diff`` (``helps`` are their help lines) over ``document`` (its
    ``--file`` help), each with the flags ``more_flags`` adds; both call ``run``."""
    apply = sub.add_parser("apply", parents=[common], help=helps[0])
    _document_flags(apply, document)
    more_flags(apply)
    apply.add_argument(
        "--check", action="store_true", help="only say what would change (exit 2 if anything)"
    )
    apply.set_defaults(run=lambda args, conn: run(args, conn, "check" if args.check else "apply"))
    diff = sub.add_parser("diff", parents=[common], help=helps[1])
    _document_flags(diff, document)
    more_flags(diff)
    diff.set_defaults(run=lambda args, conn: run(args, conn, "diff"), check=True)


def show(
    report: outcome.StateReport,
    namespace: str,
    diff: bool,
    json: bool,
    diff_lines: Callable[[outcome.EntryOutcome, str], List[str]] = outcome.diff_lines,
) -> int:
    """Print the report (``--json``: as it is; else one line per changed entry, with
    ``--diff`` its before/after, then the rest) and return the verb's exit code."""
    if json:
        print_json(report)
    else:
        lines = outcome.summary_lines(report, namespace)
        changed = [e for e in report["entries"] if e["changed"]]
        for line, entry in zip(lines, changed):
            print(line)
            for text in diff_lines(entry, namespace) if diff else []:
                print("    " + text)
        for line in lines[len(changed) :]:
            print(line)
    return EXIT_DRIFT if report["mode"] != "apply" and report["changed"] else 0
