"""`ocirt pod run|ls|inspect|stop|rm|exec|logs|stats`: CRI pods without crictl.

``ocirt pod run POD.json [CONTAINER.json ...]`` takes crictl's pod-config and
container-config files (JSON or YAML, snake_case keys) and runs them through the pod
reconciler, so running the same files again changes nothing (crictl would make a second
pod). A pod is named by its sandbox id (or a unique prefix), its name, or namespace/name.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    FailedPrecondition,
    InvalidInput,
    NotFound,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import (
    containers as cri_containers,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import log_format, sandboxes
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import stats as cri_stats
from ansible_collections.ocirt.containerd.plugins.module_utils.images.options import (
    PULL_POLICIES,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import (
    crictl_files,
    reconciler,
    report,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .output import format_labels, print_json, print_table
from .progress import human_size

FOLLOW_EVERY = 0.25


def _add_run_ls(pod_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    run = pod_sub.add_parser(
        "run", parents=[common], help="run a pod from crictl-style config files"
    )
    run.add_argument("pod_config", metavar="POD_CONFIG", help="crictl pod config (JSON/YAML)")
    run.add_argument(
        "container_configs", nargs="*", metavar="CONTAINER_CONFIG", help="container configs"
    )
    run.add_argument("--runtime", "-r", default="", help="CRI runtime handler")
    run.add_argument("--pull", default="missing", choices=PULL_POLICIES)
    run.set_defaults(run=run_run)
    ls = pod_sub.add_parser("ls", aliases=["list", "ps"], parents=[common], help="list pods")
    ls.add_argument("-q", "--quiet", action="store_true", help="print sandbox ids only")
    ls.add_argument("--name", help="only pods of this name")
    ls.add_argument("--pod-namespace", help="only pods of this pod namespace")
    ls.set_defaults(run=run_ls)
    inspect = pod_sub.add_parser("inspect", parents=[common], help="a pod in detail (JSON)")
    inspect.add_argument("pods", nargs="+", metavar="POD")
    inspect.set_defaults(run=run_inspect)


def _add_lifecycle(pod_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    stop = pod_sub.add_parser("stop", parents=[common], help="stop pods (kept, not ready)")
    stop.add_argument("pods", nargs="+", metavar="POD")
    stop.add_argument("-t", "--time", type=int, default=10, help="seconds of grace per container")
    stop.set_defaults(run=run_stop)
    rm = pod_sub.add_parser("rm", aliases=["remove"], parents=[common], help="remove pods")
    rm.add_argument("pods", nargs="+", metavar="POD")
    rm.add_argument("-f", "--force", action="store_true", help="stop a ready pod first")
    rm.set_defaults(run=run_rm)


def _add_container_views(
    pod_sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> None:
    exec_ = pod_sub.add_parser("exec", parents=[common], help="run a command in a pod")
    exec_.add_argument("pod", metavar="POD")
    exec_.add_argument("-c", "--container", help="container name (default: the first)")
    exec_.add_argument(
        "--timeout",
        dest="exec_timeout",
        type=int,
        default=60,
        help="seconds the command may run (without -i/-t)",
    )
    exec_.add_argument("-i", "--interactive", action="store_true", help="send stdin")
    exec_.add_argument("-t", "--tty", action="store_true", help="allocate a terminal")
    exec_.add_argument("cmd", nargs=argparse.REMAINDER, metavar="[--] COMMAND")
    exec_.set_defaults(run=run_exec)
    logs = pod_sub.add_parser("logs", parents=[common], help="a container's log")
    logs.add_argument("pod", metavar="POD")
    logs.add_argument("-c", "--container", help="container name (default: the first)")
    logs.add_argument("--tail", type=int, help="only the last N lines")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--timestamps", action="store_true", help="show each line's time")
    logs.add_argument("--reopen", action="store_true", help="ask containerd to reopen the file")
    logs.set_defaults(run=run_logs)
    stats = pod_sub.add_parser("stats", parents=[common], help="resource usage of pods")
    stats.add_argument("pods", nargs="*", metavar="POD")
    stats.set_defaults(run=run_stats)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    pod = sub.add_parser("pod", aliases=["pods"], help="Kubernetes CRI pods (like crictl)")
    pod_sub = pod.add_subparsers(dest="pod_command", metavar="COMMAND", required=True)
    _add_run_ls(pod_sub, common)
    _add_lifecycle(pod_sub, common)
    _add_container_views(pod_sub, common)


def _load(path: str) -> Dict[str, Any]:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    return crictl_files.parse_text(text, path)


def run_run(args: argparse.Namespace, conn: Connection) -> int:
    desired = crictl_files.desired_pod(
        _load(args.pod_config),
        [_load(p) for p in args.container_configs],
        runtime_handler=args.runtime,
        pull=args.pull,
    )
    plan = reconciler.plan(conn, desired)
    applied = reconciler.apply(conn, plan)
    if args.json:
        print_json({"changed": plan.changed, "pod": applied.after, "actions": plan.summaries()})
        return 0
    for action in plan.all_actions():
        print(f"{action.kind}: {action.target} ({action.reason})", file=sys.stderr)
    print(applied.details["sandbox_id"])
    return 0


def _short(ident: str) -> str:
    return ident[:13]


def run_ls(args: argparse.Namespace, conn: Connection) -> int:
    pods = report.list_pods(conn, name=args.name, pod_namespace=args.pod_namespace)
    if args.json:
        print_json(pods)
    elif args.quiet:
        for p in pods:
            print(p["id"])
    else:
        rows = [
            (
                _short(p["id"]),
                p["name"],
                p["pod_namespace"],
                p["state"],
                p["ip"] or p["network"],
                ",".join(f"{c['name']}:{c['state']}" for c in p["containers"]),
                p["created_at"],
                format_labels(p["labels"]),
            )
            for p in pods
        ]
        headers = ["pod id", "name", "namespace", "state", "ip", "containers", "created", "labels"]
        print_table(headers, rows)
    return 0


def run_inspect(args: argparse.Namespace, conn: Connection) -> int:
    found = [
        report.pod_report(conn, report.find_pod(conn, ref), with_stats=True) for ref in args.pods
    ]
    print_json(found if len(found) > 1 else found[0])
    return 0


def run_stop(args: argparse.Namespace, conn: Connection) -> int:
    for ref in args.pods:
        sandbox_id = report.find_pod(conn, ref)
        sandboxes.stop_pod_gracefully(conn, sandbox_id, args.time)
        print(sandbox_id)
    return 0


def run_rm(args: argparse.Namespace, conn: Connection) -> int:
    for ref in args.pods:
        sandbox_id = report.find_pod(conn, ref)
        status = sandboxes.pod_sandbox_status(conn, sandbox_id)["status"] or {}
        if status.get("state") == 0:
            if not args.force:
                raise FailedPrecondition(
                    f"pod {ref} is ready: stop it first (ocirt pod stop) or use --force"
                )
            sandboxes.stop_pod_gracefully(conn, sandbox_id, 0)
        sandboxes.remove_pod_sandbox(conn, sandbox_id)
        print(sandbox_id)
    return 0


def _container_id(conn: Connection, pod: str, name: str) -> str:
    """The container ``name`` of the pod (the first by name if not given)."""
    sandbox_id = report.find_pod(conn, pod)
    members = sorted(
        cri_containers.list_containers(conn, sandbox_id=sandbox_id),
        key=lambda c: (c["metadata"]["name"], c["state"] != 1, -c["created_at"]),
    )
    for c in members:
        if not name or c["metadata"]["name"] == name:
            return c["id"]
    have = ", ".join(sorted({c["metadata"]["name"] for c in members})) or "none"
    raise NotFound(f"pod {pod} has no container {name or ''} (it has: {have})".replace("  ", " "))


_EXEC_FLAGS = {"-i": "interactive", "--interactive": "interactive", "-t": "tty", "--tty": "tty"}


def _exec_words(args: argparse.Namespace) -> list:
    """The command, taking the exec flags written after the pod (``POD -c web -- cmd``),
    which argparse leaves in the remainder, up to ``--`` or the first other word."""
    words = list(args.cmd)
    while words:
        word = words.pop(0)
        if word == "--":
            return words
        if word in ("-c", "--container") and words:
            args.container = words.pop(0)
        elif word == "--timeout" and words:
            args.exec_timeout = int(words.pop(0))
        elif word in ("-it", "-ti"):
            args.interactive = args.tty = True
        elif word in _EXEC_FLAGS:
            setattr(args, _EXEC_FLAGS[word], True)
        else:
            return [word, *words]
    return []


def run_exec(args: argparse.Namespace, conn: Connection) -> int:
    cmd = _exec_words(args)
    if not cmd:
        raise InvalidInput("ocirt pod exec: a command is required after the pod")
    cid = _container_id(conn, args.pod, args.container)
    if args.interactive or args.tty:
        from .pod_stream import exec_interactive  # the streaming session, only when asked

        return exec_interactive(conn, cid, cmd, tty=args.tty, stdin=args.interactive)
    done = cri_containers.exec_sync(conn, cid, cmd, timeout=args.exec_timeout)
    sys.stdout.buffer.write(done["stdout"])
    sys.stdout.flush()
    sys.stderr.buffer.write(done["stderr"])
    sys.stderr.flush()
    return done["exit_code"]


def _print_lines(lines: List[log_format.LogLine], timestamps: bool) -> None:
    for line in lines:
        out = sys.stderr if line["stream"] == "stderr" else sys.stdout
        print(f"{line['time']} {line['text']}" if timestamps else line["text"], file=out)
    sys.stdout.flush()


def run_logs(args: argparse.Namespace, conn: Connection) -> int:
    cid = _container_id(conn, args.pod, args.container)
    if args.reopen:
        cri_containers.reopen_container_log(conn, cid)
    path = cri_containers.container_status(conn, cid)["status"]["log_path"]
    if not path:
        raise NotFound(f"pod {args.pod}: the container has no log (its pod has no log_directory)")
    _print_lines(log_format.read_log(path, tail=args.tail), args.timestamps)
    if args.follow:
        _follow(path, args.timestamps)
    return 0


def _follow(path: str, timestamps: bool) -> None:
    """New lines as they come (polling the file; a rotated file is read from its start)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        f.seek(0, 2)
        pending = ""
        while True:
            chunk = f.read()
            if not chunk:
                time.sleep(FOLLOW_EVERY)
                continue
            pending += chunk
            whole, _, pending = pending.rpartition("\n")
            if whole:
                _print_lines(log_format.parse_lines(whole.split("\n")), timestamps)


def run_stats(args: argparse.Namespace, conn: Connection) -> int:
    ids = [report.find_pod(conn, ref) for ref in args.pods] or [""]
    usage = [u for sid in ids for u in cri_stats.list_container_stats(conn, sandbox_id=sid)]
    if args.json:
        print_json(usage)
        return 0
    rows = [
        (
            _short(u["id"]),
            u["name"],
            f"{u['cpu_nano_cores'] / 1e7:.2f}%",
            f"{u['cpu_total_ns'] / 1e9:.2f}s",
            human_size(u["memory_working_set_bytes"]),
            human_size(u["writable_layer_bytes"]),
        )
        for u in usage
    ]
    print_table(["container", "name", "cpu %", "cpu time", "memory", "disk"], rows)
    return 0
