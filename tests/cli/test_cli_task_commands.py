"""`ocirt wait`, `kill`, `top`, `pause` and `unpause` on running containers."""

from __future__ import annotations

import json

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.file_copy import (
    resolve_in_root,
)
from cli.test_ocirt_cli import ocirt
from cli.test_ocirt_containers import env_for
from harness.images import write_oci_archive
from harness.util import wait_for

IMAGE = "example.test/cli/tasks:1"
BOUND = 60
# PID 1 of a container gets only the signals it handles: trap the ones the test sends
TRAPPING = (
    "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 143' TERM; "
    "echo ready; while true; do sleep 0.1; done"
)


def _setup(containerd, ns, busybox, tmp_path) -> dict:
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=ns)
    return env_for(containerd, ns)


def _logged(name: str, text: str, env: dict) -> None:
    wait_for(lambda: text in ocirt("logs", name, env=env).stdout, BOUND, 0.2, f"{text} in logs")


def _status(name: str, env: dict) -> str:
    rows = json.loads(ocirt("--json", "ps", "-a", env=env).stdout)
    return next(r["status"] for r in rows if r["id"] == name)


def test_kill_with_signals_and_wait_for_the_exit(
    containerd, containerd_namespace, busybox, tmp_path
):
    env = _setup(containerd, containerd_namespace, busybox, tmp_path)
    assert (
        ocirt("run", "-d", "--name", "trap", IMAGE, "sh", "-c", TRAPPING, env=env).returncode == 0
    )
    _logged("trap", "ready", env)
    usr1 = ocirt("kill", "-s", "SIGUSR1", "trap", env=env)
    assert (usr1.returncode, usr1.stdout) == (0, "trap\n"), usr1.stderr
    _logged("trap", "got-usr1", env)
    assert ocirt("kill", "-s", "TERM", "trap", env=env).returncode == 0
    waited = ocirt("wait", "trap", env=env)
    assert (waited.returncode, waited.stdout) == (143, "143\n"), waited.stderr
    assert "got-term" in ocirt("logs", "trap", env=env).stdout

    assert ocirt("run", "-d", "--name", "nine", IMAGE, "sleep", "1000", env=env).returncode == 0
    bad = ocirt("kill", "-s", "SIGBOGUS", "nine", env=env)
    assert bad.returncode == 1 and "--signal" in bad.stderr and "SIGTERM" in bad.stderr
    assert "a number" in bad.stderr and _status("nine", env) == "running"
    assert ocirt("kill", "-s", "9", "nine", env=env).returncode == 0
    both = ocirt("wait", "trap", "nine", env=env)
    assert (both.returncode, both.stdout) == (137, "143\n137\n"), both.stderr

    three = ocirt("run", "-d", "--name", "three", IMAGE, "sh", "-c", "sleep 1; exit 3", env=env)
    assert three.returncode == 0, three.stderr
    assert ocirt("wait", "three", env=env).returncode == 3
    assert ocirt("stop", "three", env=env).returncode == 0  # deleted: the record keeps 3
    assert ocirt("wait", "three", env=env).stdout == "3\n"
    missing = ocirt("wait", "nowhere", env=env)
    assert missing.returncode == 1 and "nowhere" in missing.stderr


def test_top_pause_and_unpause(containerd, containerd_namespace, busybox, tmp_path):
    env = _setup(containerd, containerd_namespace, busybox, tmp_path)
    command = "sleep 1001 & exec sleep 1002"
    assert ocirt("run", "-d", "--name", "busy", IMAGE, "sh", "-c", command, env=env).returncode == 0
    wait_for(lambda: "sleep 1001" in ocirt("top", "busy", env=env).stdout, BOUND, 0.2, "top")
    table = ocirt("top", "busy", env=env).stdout.splitlines()
    assert table[0].split() == ["USER", "PID", "PPID", "STATE", "COMMAND"]
    rows = json.loads(ocirt("--json", "top", "busy", env=env).stdout)
    commands = sorted(" ".join(p["command"]) for p in rows)
    assert commands == ["sleep 1001", "sleep 1002"], rows
    assert {p["user"] for p in rows} == {"root"}
    init = next(p for p in rows if p["command"] == ["sleep", "1002"])
    child = next(p for p in rows if p["command"] == ["sleep", "1001"])
    assert child["ppid"] == init["pid"]

    assert ocirt("pause", "busy", env=env).stdout == "busy\n"
    assert _status("busy", env) == "paused"
    assert ocirt("unpause", "busy", env=env).stdout == "busy\n"
    assert _status("busy", env) == "running"
    assert ocirt("unpause", "busy", env=env).returncode == 0  # already running: no change

    assert ocirt("kill", "busy", env=env).returncode == 0  # SIGKILL by default, as docker
    assert ocirt("wait", "busy", env=env).stdout == "137\n"
    stopped = ocirt("top", "busy", env=env)
    assert stopped.returncode == 1 and "not running" in stopped.stderr
    paused = ocirt("pause", "busy", env=env)
    assert paused.returncode == 1 and "not running" in paused.stderr


def test_cp_into_and_out_of_a_container(containerd, containerd_namespace, busybox, tmp_path):
    env = _setup(containerd, containerd_namespace, busybox, tmp_path)
    assert ocirt("run", "-d", "--name", "files", IMAGE, "sleep", "1000", env=env).returncode == 0
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a").write_text("a\n")
    into = ocirt("cp", str(tmp_path / "hello.txt"), "files:/tmp", env=env)
    assert (into.returncode, into.stdout) == (0, "files:/tmp/hello.txt\n"), into.stderr
    assert ocirt("cp", str(tmp_path / "tree"), "files:/tmp/", env=env).returncode == 0
    shown = ocirt("exec", "files", "cat", "/tmp/hello.txt", "/tmp/tree/a", env=env)
    assert shown.stdout == "hello\na\n", shown.stderr

    # a link inside the container is followed as the container sees it, not on the host
    linked = ocirt("exec", "files", "ln", "-s", "/etc", "/tmp/etc-link", env=env)
    assert linked.returncode == 0, linked.stderr
    out = tmp_path / "out"
    out.mkdir()
    copied = ocirt("cp", "files:/tmp/etc-link/passwd", str(out), env=env)
    assert copied.returncode == 0 and copied.stdout == f"{out / 'passwd'}\n", copied.stderr
    assert (out / "passwd").read_text().startswith("root:x:0:0:root:/root:/bin/sh\n")
    assert (out / "passwd").read_text() != open("/etc/passwd").read()
    escape = ocirt("cp", "files:/tmp/../../etc/shadow", str(out), env=env)
    assert escape.returncode == 1 and "leaves the container's root" in escape.stderr
    both_host = ocirt("cp", str(tmp_path / "hello.txt"), str(out), env=env)
    assert both_host.returncode == 1 and "CONTAINER:PATH" in both_host.stderr


def test_paths_resolve_inside_the_root(tmp_path):
    """Daemon-free: symlinks are followed within the root, whatever they point at."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "tmp").mkdir()
    (root / "tmp" / "abs").symlink_to("/etc")
    (root / "tmp" / "rel").symlink_to("../etc")
    (root / "tmp" / "up").symlink_to("../../../../../etc")
    (root / "tmp" / "loop").symlink_to("loop")
    for path in ("/tmp/abs/passwd", "tmp/rel/passwd", "/tmp/up/passwd", "/tmp/./abs/../etc/passwd"):
        assert resolve_in_root(str(root), path) == str(root / "etc" / "passwd"), path
    for bad in ("/../etc", "/tmp/../../x"):
        with pytest.raises(InvalidInput, match="leaves"):
            resolve_in_root(str(root), bad)
    with pytest.raises(InvalidInput, match="symbolic links"):
        resolve_in_root(str(root), "/tmp/loop/x")
