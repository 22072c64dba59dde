"""`ocirt namespace ls|create|rm`."""

from __future__ import annotations

import argparse
from typing import List

from ..client import Client, Connection, InvalidInput
from .labels import parse_labels
from .output import format_labels, print_json, print_table


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ns = sub.add_parser("namespace", aliases=["namespaces", "ns"], help="manage namespaces")
    ns_sub = ns.add_subparsers(dest="namespace_command", metavar="COMMAND", required=True)

    ls = ns_sub.add_parser("ls", aliases=["list"], parents=[common], help="list namespaces")
    ls.add_argument("-q", "--quiet", action="store_true", help="print names only")
    ls.set_defaults(run=run_ls)

    create = ns_sub.add_parser(
        "create", parents=[common], help="create a namespace (or set its labels)"
    )
    create.add_argument("name")
    create.add_argument("--label", "-l", action="append", default=[], metavar="KEY=VALUE")
    create.set_defaults(run=run_create)

    rm = ns_sub.add_parser(
        "rm", aliases=["remove"], parents=[common], help="remove empty namespaces"
    )
    rm.add_argument("names", nargs="+", metavar="NAME")
    rm.set_defaults(run=run_rm)


def run_ls(args: argparse.Namespace, conn: Connection) -> int:
    spaces = Client(connection=conn).namespaces.list()
    if args.json:
        print_json(spaces)
    elif args.quiet:
        for n in spaces:
            print(n["name"])
    else:
        print_table(["name", "labels"], [(n["name"], format_labels(n["labels"])) for n in spaces])
    return 0


def run_create(args: argparse.Namespace, conn: Connection) -> int:
    applied = Client(connection=conn).namespaces.create(args.name, parse_labels(args.label))
    plan = applied.plan
    if args.json:
        print_json(
            {"changed": plan.changed, "namespace": applied.after, "actions": plan.summaries()}
        )
    else:
        for action in plan.actions:
            print(f"{action.kind}: {action.target} ({action.reason})")
        if not plan.changed:
            print(f"{args.name}: unchanged")
    return 0


def run_rm(args: argparse.Namespace, conn: Connection) -> int:
    namespaces = Client(connection=conn).namespaces
    results: List[str] = []
    missing: List[str] = []
    for name in args.names:
        (results if namespaces.remove(name) else missing).append(name)
    if args.json:
        print_json({"removed": results, "not_found": missing})
    else:
        for name in results:
            print(name)
    if missing:
        raise InvalidInput(f"no such namespace: {', '.join(missing)}")
    return 0
