"""The `ocirt` command: a docker-like front end over the runtime library.

It parses arguments, calls the library and prints; every decision about containerd is made
in the library, so `ocirt` and the Ansible modules always agree. How every command ends is
decided here once: library errors print one line (exit 1), Ctrl-C ends the process within a
second (exit 130), and output cut short by a closed pipe (`ocirt ps | head -1`) ends quietly,
also after argparse has printed (--help, --version).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from typing import Any, List, Optional

from ..client import Connection, OcirtError
from .flags import CONNECTION_FLAGS, add_connection_flags

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a program Ctrl-C ended
#: 128 + SIGPIPE: what a shell reports for a C or Go program (docker included) that a closed
#: pipe ended, so `set -o pipefail` scripts see that the output was cut short, as with
#: `yes | head`. (Python ignores SIGPIPE so that sockets raise instead; restoring the default
#: would let a registry or containerd connection that breaks kill the process silently.)
EXIT_BROKEN_PIPE = 141
INTERRUPT_GRACE = 0.8  # seconds the library gets to clean up after Ctrl-C

# command word -> the module under ocirt.cli that defines it
COMMANDS = {
    "info": "info_command",
    "attach": "attach_command",
    **dict.fromkeys(["namespace", "namespaces", "ns"], "namespace_command"),
    **dict.fromkeys(["images", "image", "rmi", "tag"], "image_command"),
    "pull": "pull_command",
    "version": "version_command",
    "completion": "completion",
    **dict.fromkeys(
        ["run", "exec", "start", "stop", "restart", "rm", "stats", "inspect"],
        "container_command",
    ),
    "ps": "ps_command",
    "events": "events_command",
    "logs": "logs_command",
    **dict.fromkeys(["pod", "pods"], "pod_command"),
    **dict.fromkeys(["apply", "diff", "schema"], "state_command"),
    "node": "node_command",
    **dict.fromkeys(["network", "port"], "network_command"),
    **dict.fromkeys(["wait", "kill", "top", "pause", "unpause", "cp"], "task_commands"),
}


class _PrintVersion(argparse.Action):
    """``--version``: ocirt's own version, read only when asked (no daemon needed)."""

    def __init__(self, option_strings: List[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from .version_command import client_version

        print(f"ocirt {client_version()}")
        parser.exit()


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
    parser.add_argument("--version", action=_PrintVersion, help="print ocirt's version and exit")
    add_connection_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in [only] if only else sorted(set(COMMANDS.values())):
        importlib.import_module(f"{__package__}.{name}").add_parser(sub, common)
    return parser


def _command_module(argv: List[str]) -> Optional[str]:
    """The module of the command in ``argv``; None (load them all) for --help and typos."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in CONNECTION_FLAGS:
            skip = True
        elif not word.startswith("-"):
            return COMMANDS.get(word)
    return None


def _interrupted(signum: int, frame: Any) -> None:
    """Ctrl-C: unwind with KeyboardInterrupt, and be gone within a second whatever happens.

    The library stops its own work on KeyboardInterrupt; the watchdog covers what does not
    return at once (a thread in a registry read, cleanup on a daemon that hangs).
    """
    watchdog = threading.Timer(INTERRUPT_GRACE, os._exit, args=(EXIT_INTERRUPTED,))
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what is still
    buffered does not print "Exception ignored ... BrokenPipeError" on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _output_flushed() -> bool:
    """Flush stdout; False (and stdout silenced) if its reader has gone."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return False
    return True


def _report(message: str) -> None:
    try:
        print(message, file=sys.stderr)
    except OSError:  # stderr is a closed pipe too: nowhere left to say it
        pass


def _run(argv: List[str]) -> int:
    # loading only the invoked command's module keeps start-up short (each command pulls in
    # its part of the library; `ocirt --help` loads them all)
    args = build_parser(_command_module(argv)).parse_args(argv)
    args.json = getattr(args, "json", False)
    with Connection(args.address, namespace=args.namespace, timeout=args.timeout) as conn:
        status = args.run(args, conn)
    sys.stdout.flush()  # a closed pipe shows here, while it can still be handled
    return status


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _interrupted) if in_main_thread else None
    try:
        return _run(argv)
    except SystemExit:  # argparse is done: --help, --version or a usage error
        if not _output_flushed():
            return EXIT_BROKEN_PIPE
        raise
    except OcirtError as exc:
        _report(f"ocirt: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
