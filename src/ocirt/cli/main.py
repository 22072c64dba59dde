"""The `ocirt` command: a docker-like front end over the runtime library.

It parses arguments, calls the library and prints; every decision about containerd is made
in the library, so `ocirt` and the Ansible modules always agree.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import List, Optional

from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    DEFAULT_ADDRESS,
    DEFAULT_TIMEOUT,
    Connection,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.errors import OcirtError

# command word -> the module under ocirt.cli that defines it
COMMANDS = {
    "info": "info_command",
    **dict.fromkeys(["namespace", "namespaces", "ns"], "namespace_command"),
    **dict.fromkeys(["images", "image", "rmi", "tag"], "image_command"),
    "pull": "pull_command",
    **dict.fromkeys(
        ["run", "ps", "exec", "logs", "start", "stop", "restart", "rm", "stats", "inspect"],
        "container_command",
    ),
}


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    # options accepted both before and after the command; SUPPRESS keeps a value given
    # before the command from being reset by the subcommand's default
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print JSON instead of tables",
    )

    parser = argparse.ArgumentParser(
        prog="ocirt", description="Manage containerd over its own API.", parents=[common]
    )
    parser.add_argument(
        "--address",
        "-a",
        default=os.environ.get("CONTAINERD_ADDRESS", DEFAULT_ADDRESS),
        help="containerd socket (env CONTAINERD_ADDRESS, default %(default)s)",
    )
    parser.add_argument(
        "--namespace",
        "-n",
        default=os.environ.get("CONTAINERD_NAMESPACE", "default"),
        help="namespace to work in (env CONTAINERD_NAMESPACE, default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for each answer (default %(default)s)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in [only] if only else sorted(set(COMMANDS.values())):
        importlib.import_module(f"{__package__}.{name}").add_parser(sub, common)
    return parser


def _command_module(argv: List[str]) -> Optional[str]:
    """The module of the command in ``argv``; None (load them all) for --help and typos."""
    takes_value = {"--address", "-a", "--namespace", "-n", "--timeout"}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in takes_value:
            skip = True
        elif not word.startswith("-"):
            return COMMANDS.get(word)
    return None


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # loading only the invoked command's module keeps start-up short (each command pulls in
    # its part of the library; `ocirt --help` loads them all)
    args = build_parser(_command_module(argv)).parse_args(argv)
    args.json = getattr(args, "json", False)
    try:
        with Connection(args.address, namespace=args.namespace, timeout=args.timeout) as conn:
            return args.run(args, conn)
    except OcirtError as exc:
        print(f"ocirt: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
