"""`ocirt version` (and `ocirt --version`): which ocirt this is, and which containerd it
talks to. As ``docker version``: the client part always, the daemon's when it answers."""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from importlib import metadata
from typing import TYPE_CHECKING, Optional, Tuple, TypedDict

from ..client import Client, Connection, OcirtError
from .output import print_json

if TYPE_CHECKING:
    from ansible_collections.ocirt.containerd.plugins.module_utils.api.version import (
        VersionInfo,
    )


class Versions(TypedDict):
    client: str
    commit: Optional[str]  # the source tree's git commit, when the node agent carries it
    python: str
    server: Optional[VersionInfo]  # None: the daemon did not answer


def build_info() -> Tuple[str, Optional[str]]:
    """(version, commit): what scripts/build-agent.sh wrote into the node agent, else the
    installed package's version (and no commit)."""
    try:
        build = importlib.import_module("ocirt._build")
    except ImportError:
        pass
    else:
        return str(build.VERSION), str(build.COMMIT) or None
    try:
        return metadata.version("ocirt"), None
    except metadata.PackageNotFoundError:
        return "unknown", None


def client_version() -> str:
    """ocirt's version, with the commit it was built from when known: "0.1.0 (abc123...)"."""
    version, commit = build_info()
    return f"{version} (commit {commit})" if commit else version


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("version", parents=[common], help="ocirt's version and the daemon's")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, conn: Connection) -> int:
    try:
        server: Optional[VersionInfo] = Client(connection=conn).version()
        unreachable = ""
    except OcirtError as exc:
        server, unreachable = None, str(exc)
    version, commit = build_info()
    found = Versions(client=version, commit=commit, python=platform.python_version(), server=server)
    if args.json:
        print_json(found)
    else:
        print(f"Client:\n Version:    {found['client']}")
        if commit:
            print(f" Commit:     {commit}")
        print(f" Python:     {found['python']}")
        if server is not None:
            print(f"Server: containerd ({conn.address})")
            print(f" Version:    {server['version']}\n Revision:   {server['revision']}")
    if unreachable:
        print(f"ocirt: no daemon version: {unreachable}", file=sys.stderr)
        return 1  # as docker version without a daemon
    return 0
