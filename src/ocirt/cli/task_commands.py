"""What is done to a running container: wait, kill, top, pause, unpause, and cp of files
into and out of it.

Each names containers as docker does and prints each name once done (`wait` prints exit
codes instead, and ends with the last one's)."""

from __future__ import annotations

import argparse
from typing import Optional, Tuple

from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    parse_signal,
)

from ..client import Client, Connection, InvalidInput
from .output import print_json, print_table


def _containers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("containers", nargs="+", metavar="CONTAINER")


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    wait = sub.add_parser("wait", parents=[common], help="wait for containers to exit")
    _containers(wait)
    wait.set_defaults(run=run_wait)
    kill = sub.add_parser("kill", parents=[common], help="send a signal to containers")
    _containers(kill)
    kill.add_argument(
        "-s",
        "--signal",
        default="SIGKILL",
        help="name (SIGTERM, TERM) or number (default %(default)s)",
    )
    kill.set_defaults(run=run_kill)
    top_parser = sub.add_parser("top", parents=[common], help="a container's processes")
    top_parser.add_argument("container")
    top_parser.set_defaults(run=run_top)
    for verb, what in (("pause", "freeze"), ("unpause", "thaw")):
        parser = sub.add_parser(verb, parents=[common], help=f"{what} every process of containers")
        _containers(parser)
        parser.set_defaults(run=run_pause, verb=verb)
    cp = sub.add_parser("cp", parents=[common], help="copy files into or out of a container")
    cp.add_argument("source", help="host path, or CONTAINER:PATH")
    cp.add_argument("target", help="host path, or CONTAINER:PATH")
    cp.set_defaults(run=run_cp)


def run_wait(args: argparse.Namespace, conn: Connection) -> int:
    containers = Client(connection=conn).containers
    code = 0
    for name in args.containers:
        code = containers.wait(name)
        print(code, flush=True)
    return code


def run_kill(args: argparse.Namespace, conn: Connection) -> int:
    number = parse_signal(args.signal, "--signal")  # refused before anything is sent
    containers = Client(connection=conn).containers
    for name in args.containers:
        containers.kill(name, number)
        print(name)
    return 0


def run_top(args: argparse.Namespace, conn: Connection) -> int:
    processes = Client(connection=conn).containers.top(args.container)
    if args.json:
        print_json(processes)
        return 0
    rows = [(p["user"], p["pid"], p["ppid"], p["state"], " ".join(p["command"])) for p in processes]
    print_table(["user", "pid", "ppid", "state", "command"], rows)
    return 0


def run_pause(args: argparse.Namespace, conn: Connection) -> int:
    containers = Client(connection=conn).containers
    change = containers.pause if args.verb == "pause" else containers.unpause
    for name in args.containers:
        change(name)
        print(name)
    return 0


def _container_side(argument: str) -> Optional[Tuple[str, str]]:
    """(container, path) of CONTAINER:PATH; None for a host path (one with a ':' is written
    ./a:b, as for docker)."""
    name, colon, path = argument.partition(":")
    if not colon or not name or argument.startswith(("/", ".")):
        return None
    return name, path or "/"


def run_cp(args: argparse.Namespace, conn: Connection) -> int:
    source, target = _container_side(args.source), _container_side(args.target)
    if (source is None) == (target is None):
        raise InvalidInput("cp: exactly one of SOURCE and TARGET is CONTAINER:PATH")
    containers = Client(connection=conn).containers
    if source is not None:
        print(containers.copy_out(source[0], source[1], args.target))
    elif target is not None:
        print(f"{target[0]}:{containers.copy_in(target[0], args.source, target[1])}")
    return 0
