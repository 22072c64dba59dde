"""`ocirt ps`: containers and their state, as docker's ps (filters and formats in ps_format).

A command of its own so that listing loads only the listing: the parser and the two calls
of ``containers.inspect.list_containers``, none of run's, exec's or attach's library parts
(tests/cli_startup keeps it so).
"""

from __future__ import annotations

import argparse

from ..client import Client, Connection
from .output import print_json
from .ps_format import FILTER_HELP, FORMAT_HELP, PsFilter, PsFormat, select


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ps = sub.add_parser("ps", parents=[common], help="list containers")
    ps.add_argument("-a", "--all", action="store_true", help="also those not running")
    ps.add_argument("-q", "--quiet", action="store_true", help="ids only (in full)")
    ps.add_argument("-f", "--filter", action="append", default=[], help=FILTER_HELP)
    ps.add_argument("--format", default="table", help=FORMAT_HELP)
    ps.add_argument("--no-trunc", action="store_true", help="show commands and ids in full")
    ps.set_defaults(run=run_ps)


def run_ps(args: argparse.Namespace, conn: Connection) -> int:
    wanted = PsFilter.parse(args.filter)
    form = PsFormat.parse(args.format)  # both checked before asking containerd
    listed = Client(connection=conn).containers.list(all=True)
    rows = select([c.attrs for c in listed], wanted, everything=args.all)
    if args.json:
        print_json(rows)
    elif args.quiet:
        for r in rows:
            print(r["id"])  # in full: ocirt names containers by their whole id
    else:
        form.show(rows, trunc=not args.no_trunc)
    return 0
