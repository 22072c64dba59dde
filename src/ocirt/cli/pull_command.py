"""`ocirt pull`: bring an image up to date with its registry, with progress bars."""

from __future__ import annotations

import argparse
import sys

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_REGISTRY_CONFIG_PATH,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.options import (
    IMAGE_OPTIONS,
)

from ..client import Client, Connection, InvalidInput, Pulled
from .image_command import add_option_flag
from .output import print_json
from .progress import ProgressBars


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "pull", parents=[common], help="pull an image (only if the registry has a new digest)"
    )
    p.add_argument("reference")
    add_option_flag(p, IMAGE_OPTIONS["platform"])
    p.add_argument(
        "--user",
        "-u",
        metavar="USER",
        help="registry user name; the password comes from --password-stdin (default: the "
        "credentials of $DOCKER_CONFIG/config.json or ~/.docker/config.json)",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the --user's password from stdin"
    )
    p.add_argument(
        "--hosts-dir",
        default=DEFAULT_REGISTRY_CONFIG_PATH,
        help="hosts.toml directory (default %(default)s)",
    )
    add_option_flag(p, IMAGE_OPTIONS["snapshotter"])
    add_option_flag(p, IMAGE_OPTIONS["unpack"], help="fetch only, do not unpack")
    add_option_flag(p, IMAGE_OPTIONS["force"], help="pull even if the local image is current")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the image name")
    p.set_defaults(run=run)


def _credentials(args: argparse.Namespace) -> tuple:
    """(user, password). A password is never taken from argv: every local user can read a
    process's arguments (ps, /proc/PID/cmdline) for as long as the pull runs."""
    if not args.user:
        if args.password_stdin:
            raise InvalidInput("--password-stdin needs --user")
        return "", ""
    if ":" in args.user:
        raise InvalidInput(
            "--user takes only a user name: a password on the command line is visible to "
            "every user of this machine; give it with --password-stdin, or put the "
            "credentials in a docker config.json ($DOCKER_CONFIG or ~/.docker)"
        )
    if not args.password_stdin:
        raise InvalidInput(f"--user {args.user} needs its password on stdin: add --password-stdin")
    return args.user, sys.stdin.readline().rstrip("\n")


def _report(args: argparse.Namespace, done: Pulled) -> None:
    pulled = done.pulled
    if args.json:
        print_json(
            {
                "changed": done.changed,
                "image": done.plan.after,
                "actions": done.actions,
                "pulled": pulled,
            }
        )
    elif args.quiet:
        print(done.name)
    elif pulled:
        print(
            f"{pulled['name']}: pulled {pulled['digest']} from {pulled['source']}"
            f" ({', '.join(pulled['platforms'])})"
        )
    else:
        print(f"{done.name}: up to date ({done.digest})")


def run(args: argparse.Namespace, conn: Connection) -> int:
    user, password = _credentials(args)
    bars = None if (args.quiet or args.json) else ProgressBars()
    done = Client(connection=conn, hosts_dir=args.hosts_dir).images.pull(
        args.reference,
        platform=args.platform,
        force=args.force,
        unpack=args.unpack,
        snapshotter=args.snapshotter,
        username=user,
        password=password,
        progress=bars,
    )
    if bars:
        bars.finish()
    _report(args, done)
    return 0
