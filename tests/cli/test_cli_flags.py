"""The flags of `ocirt` commands: derived from the container option table, read by one
label parser (pure: parsing only, no daemon needed)."""

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.option_table import (
    CONTAINER_TABLE,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
)

from ocirt.cli.flags import table_values
from ocirt.cli.labels import parse_labels
from ocirt.cli.main import build_parser

#: every flag `ocirt run --help` listed before its flags came from the option table
RUN_FLAGS = (
    "--json -d --detach --rm --name -e --env -v --volume -l --label --restart -m --memory "
    "--cpus -u --user -w --workdir --entrypoint --network --hostname --read-only --cap-add "
    "--cap-drop --hosts-dir"
).split()


def _run_help(capsys):
    with pytest.raises(SystemExit):
        build_parser("container_command").parse_args(["run", "--help"])
    return capsys.readouterr().out.split()


def test_run_help_lists_every_flag(capsys):
    words = {w.strip("[],") for w in _run_help(capsys)}
    table_flags = [f for o in CONTAINER_TABLE if o.cli for f in o.cli.split() if f[0] == "-"]
    missing = [f for f in RUN_FLAGS + table_flags if f not in words]
    assert not missing, missing


def test_run_flags_give_the_container_options():
    args = build_parser("container_command").parse_args(
        [
            "run",
            "-e", "A=1", "-e", "B", "-l", "tier=web",
            "-v", "/data:/data:ro", "--cap-add", "NET_ADMIN",
            "--entrypoint", "/bin/true", "--entrypoint", "/bin/sh",
            "-m", "64m", "--cpus", "0.5", "--network", "host", "--read-only",
            "--restart", "on-failure:2", "-w", "/srv", "-u", "1000",
            "busybox", "echo", "hi",
        ]
    )  # fmt: skip
    given = table_values(args, CONTAINER_TABLE)
    assert given == {
        "entrypoint": ["/bin/sh"],
        "env": {"A": "1", "B": ""},
        "working_dir": "/srv",
        "user": "1000",
        "labels": {"tier": "web"},
        "mounts": ["/data:/data:ro"],
        "read_only_rootfs": True,
        "cap_add": ["NET_ADMIN"],
        "memory": "64m",
        "cpus": 0.5,
        "network_mode": "host",
        "restart_policy": "on-failure:2",
    }
    options = ContainerOptions.from_dict({"image": args.image, "command": args.command, **given})
    assert options.command == ["echo", "hi"] and options.memory == 64 * 1024**2


def test_unset_run_flags_leave_the_options_at_their_defaults():
    args = build_parser("container_command").parse_args(["run", "busybox"])
    assert table_values(args, CONTAINER_TABLE) == {}


def test_one_meaning_of_key_value():
    assert parse_labels(["a=1", "b", "c=x=y", "a=2", "d="]) == {
        "a": "2",
        "b": "",
        "c": "x=y",
        "d": "",
    }
    assert parse_labels(None) == {}
    with pytest.raises(InvalidInput, match="--env takes KEY=VALUE, got '=v'"):
        parse_labels(["=v"], "--env")


def test_connection_flags_come_before_the_command():
    args = build_parser("namespace_command").parse_args(
        ["-a", "/tmp/x.sock", "-n", "ns1", "--timeout", "5", "namespace", "create", "n",
         "-l", "a=1"]
    )  # fmt: skip
    assert (args.address, args.namespace, args.timeout, args.label) == (
        "/tmp/x.sock",
        "ns1",
        5.0,
        ["a=1"],
    )
