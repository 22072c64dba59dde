"""Docker-like container commands: run, exec, start, stop, restart, rm, stats, inspect
(ps: ps_command.py, logs: logs_command.py). Each parses flags, calls the library, prints.

What only `run -i`, `exec` or attaching needs (terminal relay, exec sessions) is imported by
the function that uses it, so `run -d` and the lifecycle verbs start without it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import Iterator

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_REGISTRY_CONFIG_PATH,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.option_table import (
    CONTAINER_TABLE,
)

from ..client import Client, Connection, OcirtError
from .flags import add_table_flags, table_values
from .labels import parse_labels
from .logs_command import add_log_opt_flag, log_opt_values
from .output import print_json, print_table
from .progress import human_size
from .terminal import add_detach_keys_flag, parse_detach_keys


def _add_run(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser("run", parents=[common], help="create and start a container")
    run.add_argument("image")
    run.add_argument("command", nargs=argparse.REMAINDER)
    run.add_argument("-d", "--detach", action="store_true", help="return once it runs")
    run.add_argument("--rm", action="store_true", help="remove it when it exits (foreground)")
    run.add_argument("--name", help="container id (default: image name + random suffix)")
    run.add_argument("-i", "--interactive", action="store_true", help="copy stdin to it")
    add_detach_keys_flag(run)
    # docker's --entrypoint is one program, the last one given wins
    add_table_flags(run, CONTAINER_TABLE, details={"entrypoint": {"action": "store"}})
    add_log_opt_flag(run)
    run.add_argument("--hosts-dir", default=DEFAULT_REGISTRY_CONFIG_PATH)
    run.set_defaults(run=run_run)


def _add_exec(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ex = sub.add_parser("exec", parents=[common], help="run a command in a running container")
    ex.add_argument("container")
    ex.add_argument("command", nargs=argparse.REMAINDER)
    ex.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE")
    ex.add_argument("-u", "--user")
    ex.add_argument("-w", "--workdir")
    ex.add_argument("--timeout", dest="exec_timeout", type=float, default=None)
    ex.add_argument("-i", "--interactive", action="store_true", help="copy stdin to it")
    ex.add_argument("-t", "--tty", action="store_true", help="give it a terminal")
    ex.set_defaults(run=run_exec)


def _add_lifecycle(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for verb in ("start", "stop", "restart"):
        p = sub.add_parser(verb, parents=[common], help=f"{verb} containers")
        p.add_argument("containers", nargs="+", metavar="CONTAINER")
        if verb != "start":
            p.add_argument("-t", "--time", type=float, help="seconds before SIGKILL")
        p.set_defaults(run=run_lifecycle, verb=verb)
    rm = sub.add_parser("rm", parents=[common], help="remove containers")
    rm.add_argument("containers", nargs="+", metavar="CONTAINER")
    rm.add_argument("-f", "--force", action="store_true", help="stop running ones first")
    rm.set_defaults(run=run_rm)


def _add_stats_inspect(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    stats = sub.add_parser("stats", parents=[common], help="CPU, memory and I/O of containers")
    stats.add_argument("containers", nargs="*", metavar="CONTAINER")
    stats.add_argument("--no-stream", action="store_true", help="one sample, then exit")
    stats.set_defaults(run=run_stats)
    inspect = sub.add_parser("inspect", parents=[common], help="a container's details (JSON)")
    inspect.add_argument("containers", nargs="+", metavar="CONTAINER")
    inspect.set_defaults(run=run_inspect)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for add in (_add_run, _add_exec, _add_lifecycle, _add_stats_inspect):
        add(sub, common)


def _create(args: argparse.Namespace, conn: Connection) -> str:
    """Create the container `run` asks for (pulling its image if missing); its name."""
    containers = Client(connection=conn, hosts_dir=args.hosts_dir).containers
    options = {**table_values(args, CONTAINER_TABLE), **log_opt_values(args)}
    return containers.create(args.image, args.command, name=args.name, **options).id


@contextlib.contextmanager
def _removed_if_start_fails(
    args: argparse.Namespace, conn: Connection, name: str
) -> Iterator[None]:
    """As docker: `run --rm` leaves nothing behind, a plain `run` leaves it created."""
    try:
        yield
    except OcirtError:
        if args.rm:
            Client(connection=conn).containers.remove(name, force=True)
        raise


def _run_attached(args: argparse.Namespace, conn: Connection) -> int:
    """`run -i`/`-t` in the foreground: this terminal (or pipe) copied to the new task."""
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.attach import (
        start_attached,
    )

    from .terminal import attend

    keys = parse_detach_keys(args.detach_keys)
    name = _create(args, conn)
    with _removed_if_start_fails(args, conn, name):
        session = start_attached(conn, name, stdin=args.interactive)
    outcome = attend(conn, session, stdin=args.interactive, detach_keys=keys)
    if args.rm and not outcome.detached:
        Client(connection=conn).containers.remove(name, force=True)
    return outcome.exit_code


def run_run(args: argparse.Namespace, conn: Connection) -> int:
    if not args.detach and (args.interactive or args.tty):
        return _run_attached(args, conn)
    containers = Client(connection=conn).containers
    name = _create(args, conn)
    with _removed_if_start_fails(args, conn, name):
        containers.start(name)
    if args.detach:
        print(name)
        return 0
    for chunk in containers.logs(name, follow=True):
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    code = containers.wait(name)  # the exited task keeps its status until it is deleted
    if args.rm:
        containers.remove(name, force=True)
    return code


def _exec_attached(args: argparse.Namespace, conn: Connection) -> int:
    """`exec -i`/`-t`: this terminal (or pipe) copied to the new process."""
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import (
        ExecSettings,
        close_exec,
        open_exec,
    )

    from .terminal import relay

    settings = ExecSettings(
        terminal=args.tty,
        stdin=args.interactive,
        env=parse_labels(args.env, "--env"),
        user=args.user,
        workdir=args.workdir,
    )
    session = open_exec(conn, args.container, args.command, settings)
    try:
        return relay(conn, session, stdin=args.interactive).exit_code
    finally:
        close_exec(conn, session)


def run_exec(args: argparse.Namespace, conn: Connection) -> int:
    if args.interactive or args.tty:
        return _exec_attached(args, conn)
    done = Client(connection=conn).containers.exec(
        args.container,
        args.command,
        env=parse_labels(args.env, "--env"),
        user=args.user,
        workdir=args.workdir,
        timeout=args.exec_timeout,
    )
    if args.json:
        print_json(
            {
                "rc": done["rc"],
                "stdout": done["stdout"].decode("utf-8", "replace"),
                "stderr": done["stderr"].decode("utf-8", "replace"),
            }
        )
        return 0
    sys.stdout.buffer.write(done["stdout"])
    sys.stderr.buffer.write(done["stderr"])
    return done["rc"]


def run_lifecycle(args: argparse.Namespace, conn: Connection) -> int:
    containers = Client(connection=conn).containers
    for name in args.containers:
        if args.verb == "start":
            containers.start(name)
        elif args.verb == "stop":
            containers.stop(name, timeout=args.time)
        else:
            containers.restart(name, timeout=args.time)
        print(name)
    return 0


def run_rm(args: argparse.Namespace, conn: Connection) -> int:
    containers = Client(connection=conn).containers
    for name in args.containers:
        containers.remove(name, force=args.force)
        print(name)
    return 0


def _stats_rows(conn: Connection, names: list) -> list:
    samples = Client(connection=conn).containers.stats(names)
    rows = []
    for cid in names or sorted(samples):
        s = samples.get(cid)
        if s is None:
            continue
        limit_bytes = s.get("memory_limit")
        limit = human_size(limit_bytes) if limit_bytes else "unlimited"
        rows.append(
            (
                cid,
                f"{s['cpu_percent']:.1f}%",
                f"{human_size(s['memory_usage'])} / {limit}",
                s.get("pids"),
                f"{human_size(s.get('blkio_read') or 0)} / {human_size(s.get('blkio_write') or 0)}",
            )
        )
    return rows


def run_stats(args: argparse.Namespace, conn: Connection) -> int:
    headers = ["container id", "cpu %", "mem usage / limit", "pids", "block i/o"]
    if args.json:
        print_json(Client(connection=conn).containers.stats(args.containers))
        return 0
    if args.no_stream or not sys.stdout.isatty():
        print_table(headers, _stats_rows(conn, args.containers))
        return 0
    while True:  # until Ctrl-C, like docker stats
        rows = _stats_rows(conn, args.containers)
        sys.stdout.write("\x1b[H\x1b[2J")
        print_table(headers, rows)
        sys.stdout.flush()
        time.sleep(1.0)


def run_inspect(args: argparse.Namespace, conn: Connection) -> int:
    containers = Client(connection=conn).containers
    print_json([containers.get(name).attrs for name in args.containers])
    return 0
