"""`ocirt version` (and `ocirt --version`): which ocirt this is, and which containerd it
talks to. As ``docker version``: the client part always, the daemon's when it answers."""

from __future__ import annotations

import argparse
import platform
import sys
from importlib import metadata
from typing import Optional, TypedDict

from ansible_collections.ocirt.containerd.plugins.module_utils.api.version import (
    VersionInfo,
    get_version,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .output import print_json


class Versions(TypedDict):
    client: str
    python: str
    server: Optional[VersionInfo]  # None: the daemon did not answer


def client_version() -> str:
    """ocirt's own version, as installed (a zipapp carries no metadata: "unknown")."""
    try:
        return metadata.version("ocirt")
    except metadata.PackageNotFoundError:
        return "unknown"


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("version", parents=[common], help="ocirt's version and the daemon's")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, conn: Connection) -> int:
    try:
        server: Optional[VersionInfo] = get_version(conn)
        unreachable = ""
    except OcirtError as exc:
        server, unreachable = None, str(exc)
    found = Versions(client=client_version(), python=platform.python_version(), server=server)
    if args.json:
        print_json(found)
    else:
        print(f"Client:\n Version:    {found['client']}\n Python:     {found['python']}")
        if server is not None:
            print(f"Server: containerd ({conn.address})")
            print(f" Version:    {server['version']}\n Revision:   {server['revision']}")
    if unreachable:
        print(f"ocirt: no daemon version: {unreachable}", file=sys.stderr)
        return 1  # as docker version without a daemon
    return 0
