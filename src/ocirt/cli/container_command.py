"""Docker-like container commands: run, ps, exec, start, stop, restart, rm, stats, inspect
(logs: logs_command.py). Each parses flags, calls the library, prints."""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import time
from typing import Iterator

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_REGISTRY_CONFIG_PATH,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    AlreadyExists,
    OcirtError,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.attach import (
    start_attached,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import (
    ExecSettings,
    close_exec,
    exec_command,
    open_exec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
    inspect_container,
    list_containers,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.logs import (
    follow_log,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.option_table import (
    CONTAINER_TABLE,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.stats import sample
from ansible_collections.ocirt.containerd.plugins.module_utils.registry.reference import (
    parse_reference,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .flags import add_table_flags, table_values
from .labels import parse_labels
from .logs_command import add_log_opt_flag, log_opt_values
from .output import print_json, print_table
from .progress import human_size
from .ps_format import FILTER_HELP, FORMAT_HELP, PsFilter, PsFormat, select
from .terminal import add_detach_keys_flag, attend, parse_detach_keys, relay


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


def _add_ps(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ps = sub.add_parser("ps", parents=[common], help="list containers")
    ps.add_argument("-a", "--all", action="store_true", help="also those not running")
    ps.add_argument("-q", "--quiet", action="store_true", help="ids only (in full)")
    ps.add_argument("-f", "--filter", action="append", default=[], help=FILTER_HELP)
    ps.add_argument("--format", default="table", help=FORMAT_HELP)
    ps.add_argument("--no-trunc", action="store_true", help="show commands and ids in full")
    ps.set_defaults(run=run_ps)


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
    for add in (_add_run, _add_ps, _add_exec, _add_lifecycle, _add_stats_inspect):
        add(sub, common)


def _create(args: argparse.Namespace, conn: Connection) -> str:
    """Create the container `run` asks for (pulling its image if missing); its name."""
    # here, not at the top: only `run` needs the image and registry half of the library
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
        RegistryAccess,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import container
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.container import (
        DesiredContainer,
    )

    image = str(parse_reference(args.image))
    name = args.name or f"{image.rsplit('/', 1)[-1].split(':')[0]}-{secrets.token_hex(3)}"
    options = ContainerOptions.from_dict(
        {
            "image": image,
            "command": args.command or None,
            **table_values(args, CONTAINER_TABLE),
            **log_opt_values(args),
        }
    )
    desired = DesiredContainer(
        name=name,
        options=options,
        state="present",
        access=RegistryAccess(config_path=args.hosts_dir, timeout=args.timeout),
    )
    plan = container.plan(conn, desired)
    if plan.before is not None:
        raise AlreadyExists(f"container {name} already exists: remove it or pick another --name")
    container.apply(conn, plan)
    return name


@contextlib.contextmanager
def _removed_if_start_fails(
    args: argparse.Namespace, conn: Connection, name: str
) -> Iterator[None]:
    """As docker: `run --rm` leaves nothing behind, a plain `run` leaves it created."""
    try:
        yield
    except OcirtError:
        if args.rm:
            lifecycle.remove(conn, name, force=True)
        raise


def _run_attached(args: argparse.Namespace, conn: Connection) -> int:
    """`run -i`/`-t` in the foreground: this terminal (or pipe) copied to the new task."""
    keys = parse_detach_keys(args.detach_keys)
    name = _create(args, conn)
    with _removed_if_start_fails(args, conn, name):
        session = start_attached(conn, name, stdin=args.interactive)
    outcome = attend(conn, session, stdin=args.interactive, detach_keys=keys)
    if args.rm and not outcome.detached:
        lifecycle.remove(conn, name, force=True)
    return outcome.exit_code


def run_run(args: argparse.Namespace, conn: Connection) -> int:
    if not args.detach and (args.interactive or args.tty):
        return _run_attached(args, conn)
    name = _create(args, conn)
    with _removed_if_start_fails(args, conn, name):
        started = lifecycle.start(conn, name, wait=not args.detach)
    if args.detach:
        print(name)
        return 0
    for chunk in follow_log(conn, name):
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    waiter = started["waiter"]
    assert waiter is not None  # started with wait=True
    code = waiter.result()["exit_status"]
    if args.rm:
        lifecycle.remove(conn, name, force=True)
    return code


def run_ps(args: argparse.Namespace, conn: Connection) -> int:
    wanted = PsFilter.parse(args.filter)
    form = PsFormat.parse(args.format)  # both checked before asking containerd
    rows = select(list_containers(conn), wanted, everything=args.all)
    if args.json:
        print_json(rows)
    elif args.quiet:
        for r in rows:
            print(r["id"])  # in full: ocirt names containers by their whole id
    else:
        form.show(rows, trunc=not args.no_trunc)
    return 0


def _exec_attached(args: argparse.Namespace, conn: Connection) -> int:
    """`exec -i`/`-t`: this terminal (or pipe) copied to the new process."""
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
    done = exec_command(
        conn,
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
    for name in args.containers:
        if args.verb == "start":
            lifecycle.start(conn, name)
        elif args.verb == "stop":
            lifecycle.stop(conn, name, timeout=args.time)
        else:
            lifecycle.restart(conn, name, timeout=args.time)
        print(name)
    return 0


def run_rm(args: argparse.Namespace, conn: Connection) -> int:
    for name in args.containers:
        lifecycle.remove(conn, name, force=args.force)
        print(name)
    return 0


def _stats_rows(conn: Connection, names: list) -> list:
    ids = names or [r["id"] for r in list_containers(conn) if r["status"] == "running"]
    samples = sample(conn, ids, interval=1.0) if ids else {}
    rows = []
    for cid in ids:
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
        ids = args.containers or [
            r["id"] for r in list_containers(conn) if r["status"] == "running"
        ]
        print_json(sample(conn, ids, interval=1.0) if ids else {})
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
    print_json([inspect_container(conn, name) for name in args.containers])
    return 0
