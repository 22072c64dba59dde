"""`ocirt images`, `rmi`, `tag` and `image inspect|import|export|ls|rm|tag`."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict

from ansible_collections.ocirt.containerd.plugins.module_utils.common.options import Option
from ansible_collections.ocirt.containerd.plugins.module_utils.images.options import (
    IMAGE_INFO_OPTIONS,
    IMAGE_OPTIONS,
)

from ..client import Client, Connection, InvalidInput, NotFound
from ..client_images import image_name
from .output import print_json, print_table


def add_option_flag(
    parser: argparse.ArgumentParser, option: Option, *short: str, **extra: Any
) -> None:
    """The flag of a table option (``option.cli``), stored under the option's name; a
    bool whose default is true is the flag that turns it off (``--no-unpack``)."""
    kwargs: Dict[str, Any] = {"dest": option.name, "help": option.doc}
    if option.type == "bool":
        kwargs["action"] = "store_false" if option.default else "store_true"
    else:
        kwargs["default"] = option.default
        if option.choices is not None:
            kwargs["choices"] = list(option.choices)
    kwargs.update(extra)
    parser.add_argument(*short, str(option.cli), **kwargs)


def human_size(size: int) -> str:
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    value, i = float(size), 0
    while value >= 1024 and i < len(units) - 1:
        value, i = value / 1024, i + 1
    return f"{value:.1f} {units[i]}" if i else f"{size} B"


def _ls_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="print names only")
    parser.add_argument(
        "--filter",
        "-f",
        action="append",
        default=[],
        metavar="F",
        help='containerd filter, e.g. name~=busybox or labels."k"==v (repeat to OR)',
    )
    parser.set_defaults(run=run_ls)


def _rm_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sync", action="store_true", help="wait for garbage collection")
    add_option_flag(
        parser, IMAGE_OPTIONS["force"], "-f", help="remove images even if containers use them"
    )
    parser.add_argument("names", nargs="+", metavar="NAME")
    parser.set_defaults(run=run_rm)


def _tag_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("target", metavar="DST")
    parser.set_defaults(run=run_tag)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    _ls_parser(sub.add_parser("images", parents=[common], help="list images"))
    _rm_parser(sub.add_parser("rmi", parents=[common], help="remove images"))
    _tag_parser(sub.add_parser("tag", parents=[common], help="give an image another name"))

    image = sub.add_parser("image", help="manage images")
    image_sub = image.add_subparsers(dest="image_command", metavar="COMMAND", required=True)
    _ls_parser(image_sub.add_parser("ls", aliases=["list"], parents=[common], help="list images"))
    _rm_parser(
        image_sub.add_parser("rm", aliases=["remove"], parents=[common], help="remove images")
    )
    _tag_parser(image_sub.add_parser("tag", parents=[common], help="give an image another name"))

    inspect = image_sub.add_parser("inspect", parents=[common], help="show image details (JSON)")
    inspect.add_argument("names", nargs="+", metavar="NAME")
    add_option_flag(inspect, IMAGE_INFO_OPTIONS["platform"])
    add_option_flag(inspect, IMAGE_INFO_OPTIONS["snapshotter"])
    inspect.set_defaults(run=run_inspect)

    imp = image_sub.add_parser("import", parents=[common], help="import an image tarball")
    imp.add_argument("archive", metavar="ARCHIVE")
    imp.add_argument("--name", action="append", default=[], help="name(s) instead of the archive's")
    add_option_flag(imp, IMAGE_OPTIONS["platform"])
    imp.add_argument("--all-platforms", action="store_true")
    add_option_flag(imp, IMAGE_OPTIONS["unpack"])
    add_option_flag(imp, IMAGE_OPTIONS["snapshotter"])
    imp.set_defaults(run=run_import)

    exp = image_sub.add_parser("export", parents=[common], help="export images to an OCI tarball")
    exp.add_argument("names", nargs="+", metavar="NAME")
    exp.add_argument("-o", "--output", required=True, metavar="FILE")
    add_option_flag(exp, IMAGE_OPTIONS["platform"])
    exp.add_argument("--all-platforms", action="store_true")
    exp.set_defaults(run=run_export)


def run_ls(args: argparse.Namespace, conn: Connection) -> int:
    images = Client(connection=conn).images.list(args.filter)
    if args.json:
        print_json([i.attrs for i in images])
    elif args.quiet:
        for i in images:
            print(i.name)
    else:
        print_table(
            ["name", "digest", "size", "platforms", "unpacked"],
            [
                (
                    i.name,
                    i.digest,
                    human_size(i.size),
                    ",".join(i.platforms),
                    "yes" if i.unpacked else "no",
                )
                for i in images
            ],
        )
    return 0


def run_rm(args: argparse.Namespace, conn: Connection) -> int:
    done = Client(connection=conn).images.remove(*args.names, sync=args.sync, force=args.force)
    if args.json:
        print_json(done)
    else:
        for name in done["removed"]:
            print(name)
    if done["not_found"]:
        raise NotFound(f"no such image: {', '.join(done['not_found'])}")
    return 0


def run_tag(args: argparse.Namespace, conn: Connection) -> int:
    source, target = image_name(args.source), image_name(args.target)
    changed = Client(connection=conn).images.tag(source, target)
    if args.json:
        print_json({"changed": changed, "source": source, "target": target})
    else:
        print(f"{target}: {'tagged' if changed else 'unchanged'}")
    return 0


def run_inspect(args: argparse.Namespace, conn: Connection) -> int:
    images = Client(connection=conn).images
    views = [images.get(n, args.platform, args.snapshotter).attrs for n in args.names]
    print_json(views)  # inspect output is JSON with or without --json, like docker's
    return 0


def _progress_printer() -> Any:
    done: Dict[str, int] = {}

    def report(digest: str, n: int, total: int) -> None:
        done[digest] = done.get(digest, 0) + n
        if sys.stderr.isatty():
            print(
                f"\r{digest[:19]}  {human_size(min(done[digest], total))} / {human_size(total)}",
                end="",
                file=sys.stderr,
            )

    return report


def run_import(args: argparse.Namespace, conn: Connection) -> int:
    rows = Client(connection=conn).images.import_archive(
        args.archive,
        names=args.name,
        platform=args.platform,
        all_platforms=args.all_platforms,
        unpack=args.unpack,
        snapshotter=args.snapshotter,
        progress=_progress_printer(),
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['name']}  {r['digest']}")
    return 0


def run_export(args: argparse.Namespace, conn: Connection) -> int:
    if args.platform and args.all_platforms:
        raise InvalidInput("--platform and --all-platforms exclude each other")
    result = Client(connection=conn).images.export(
        args.names,
        args.output,
        platform=args.platform,
        all_platforms=args.all_platforms,
    )
    if args.json:
        print_json(result)
    else:
        for image in result["images"]:
            print(f"{image['name']}  {image['digest']}")
            if image["note"]:
                print(f"  note: {image['note']}", file=sys.stderr)
        print(f"wrote {result['path']} ({human_size(result['size'])})")
    return 0
