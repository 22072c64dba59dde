"""`ocirt attach`: this terminal connected to a running container's terminal (or input and
output), as `docker attach`; the detach keys leave it running."""

from __future__ import annotations

import argparse

from ansible_collections.ocirt.containerd.plugins.module_utils.containers.attach import attach

from ..client import Connection
from .terminal import add_detach_keys_flag, attend, parse_detach_keys


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("attach", parents=[common], help="connect to a running container's terminal")
    p.add_argument("container")
    p.add_argument("--no-stdin", action="store_true", help="only show its output")
    add_detach_keys_flag(p)
    p.set_defaults(run=run_attach)


def run_attach(args: argparse.Namespace, conn: Connection) -> int:
    keys = parse_detach_keys(args.detach_keys)
    session = attach(conn, args.container)
    return attend(conn, session, stdin=not args.no_stdin, detach_keys=keys).exit_code
