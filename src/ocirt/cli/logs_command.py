"""`ocirt logs` as docker's: --follow, --tail, --timestamps, --since, --until; and the
`--log-opt KEY=VALUE` flag of `run` (docker's max-size and max-file).

A container's stdout goes to stdout and its stderr to stderr, as docker keeps them apart (a
container made before ocirt's log driver has one plain file: all of it goes to stdout).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional

from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)

from .labels import parse_labels

if TYPE_CHECKING:  # the log readers are loaded by `logs` itself (`run` needs only LOG_OPTS)
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.logs import (
        LogEntry,
        Window,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
        Connection,
    )

#: docker's --log-opt keys of the json-file driver -> the container options they set
LOG_OPTS = {"max-size": "log_max_size", "max-file": "log_max_files"}


def _tail(value: str) -> Optional[int]:
    if value == "all":
        return None
    try:
        lines = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of lines or 'all'") from None
    return None if lines < 0 else lines


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    logs = sub.add_parser("logs", parents=[common], help="show a container's output")
    logs.add_argument("container")
    logs.add_argument("-f", "--follow", action="store_true", help="go on as it is written")
    logs.add_argument("-n", "--tail", type=_tail, help="only the last N lines ('all')")
    logs.add_argument("-t", "--timestamps", action="store_true", help="show each line's time")
    when = "RFC 3339, Unix seconds or a duration before now (10m)"
    logs.add_argument("--since", help=f"lines written at or after this time: {when}")
    logs.add_argument("--until", help=f"lines written at or before this time: {when}")
    logs.set_defaults(run=run_logs)


def add_log_opt_flag(parser: argparse.ArgumentParser) -> None:
    """`run --log-opt max-size=10m --log-opt max-file=3`."""
    parser.add_argument(
        "--log-opt",
        action="append",
        metavar="KEY=VALUE",
        help="json-file log driver option: max-size (10m), max-file (3)",
    )


def log_opt_values(args: argparse.Namespace) -> Dict[str, Any]:
    """The container options `--log-opt` gives."""
    values: Dict[str, Any] = {}
    for key, value in parse_labels(getattr(args, "log_opt", None), "--log-opt").items():
        if key not in LOG_OPTS:
            raise InvalidInput(f"--log-opt: unknown key {key!r}; known: {', '.join(LOG_OPTS)}")
        values[LOG_OPTS[key]] = value
    return values


def _window(args: argparse.Namespace) -> Window:
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.logs import Window
    from ansible_collections.ocirt.containerd.plugins.module_utils.logs.times import parse_time

    return Window(
        tail=args.tail,
        since=parse_time(args.since, "--since") if args.since else None,
        until=parse_time(args.until, "--until") if args.until else None,
    )


def _write(entries: Iterable[LogEntry], timestamps: bool, follow: bool) -> None:
    for entry in entries:
        out = sys.stderr.buffer if entry.stream == "stderr" else sys.stdout.buffer
        if timestamps:
            if not entry.time:
                raise InvalidInput(
                    "--timestamps: this container logs to containerd's plain file, which has "
                    "no times (recreate it with --log-driver json-file)"
                )
            out.write(entry.time.encode() + b" ")
        out.write(entry.data)
        if follow:
            out.flush()


def run_logs(args: argparse.Namespace, conn: Connection) -> int:
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.logs import (
        follow_entries,
        log_path,
        read_entries,
    )

    window = _window(args)
    if args.follow:
        _write(follow_entries(conn, args.container, window), args.timestamps, follow=True)
    else:
        _write(read_entries(log_path(conn, args.container), window), args.timestamps, False)
    return 0
