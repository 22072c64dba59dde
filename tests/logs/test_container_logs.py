"""Containers logging through ocirt's driver on a real containerd: timestamps, streams,
since/until, rotation followed with ``-f``, the plain file of before, ``ctr``'s view, and
one log directory per daemon."""

from __future__ import annotations

import json
import os
import threading
from typing import List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import tasks
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    labels as L,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle, logs
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.paths import daemon_key
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    get_container,
)
from cli.test_ocirt_cli import ocirt
from containers.conftest import BUSYBOX
from harness.util import wait_for


def finished(conn, name: str, timeout: float = 30) -> None:
    started = lifecycle.start(conn, name, wait=True)
    started["waiter"].result(timeout)


def test_streams_timestamps_since_until(conn, make, containerd):
    script = "echo one; echo two >&2; sleep 1.5; echo three; echo four >&2"
    made = make("ts", start=False, command=["sh", "-c", script])
    assert made["log_path"].endswith("-json.log")
    assert f"/{daemon_key(containerd.address)}/" in made["log_path"]
    finished(conn, "ts")
    entries = logs.read_entries(made["log_path"])
    assert [(e.stream, e.data) for e in entries if e.stream == "stderr"] == [
        ("stderr", b"two\n"),
        ("stderr", b"four\n"),
    ]
    assert [e.data for e in entries if e.stream == "stdout"] == [b"one\n", b"three\n"]
    times = [e.time for e in entries]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    by = {e.data: e for e in entries}
    cut = by[b"three\n"].time
    since = [e.data for e in logs.read_entries(made["log_path"], window_since(cut))]
    assert since == [b"three\n", b"four\n"]
    until = [e.data for e in logs.read_entries(made["log_path"], window_until(by[b"two\n"].time))]
    assert until == [b"one\n", b"two\n"]

    base = ["--address", containerd.address, "--namespace", conn.namespace, "logs"]
    shown = ocirt(*base, "-t", "--since", cut, "ts")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"{cut} three\n"
    assert shown.stderr.endswith(" four\n") and shown.stderr[:4].isdigit()
    assert ocirt(*base, "--tail", "1", "ts").stderr == "four\n"
    assert ocirt(*base, "--until", by[b"one\n"].time, "ts").stdout == "one\n"
    assert ocirt(*base, "--since", "10m", "ts").stdout == "one\nthree\n"


def window_since(stamp: str) -> logs.Window:
    from ansible_collections.ocirt.containerd.plugins.module_utils.logs.times import parse_time

    return logs.Window(since=parse_time(stamp, "since"))


def window_until(stamp: str) -> logs.Window:
    from ansible_collections.ocirt.containerd.plugins.module_utils.logs.times import parse_time

    return logs.Window(until=parse_time(stamp, "until"))


def test_follow_through_rotation_loses_and_repeats_nothing(conn, make):
    count = 600
    script = (
        f"sleep 1; i=1; while [ $i -le {count} ]; do echo line $i; "
        "[ $((i % 40)) = 0 ] && sleep 0.1; i=$((i+1)); done"
    )
    made = make(
        "rot",
        start=False,
        command=["sh", "-c", script],
        log_max_size="4k",
        log_max_files=4,
    )
    lifecycle.start(conn, "rot")
    seen = [e.data for e in logs.follow_entries(conn, "rot", interval=0.05)]
    assert seen == [b"line %d\n" % i for i in range(1, count + 1)]
    files = logs.log_files(made["log_path"])
    assert len(files) == 4 and all(os.path.getsize(f) <= 4096 for f in files)
    labels = get_container(conn, "rot")["labels"]
    assert "--max-size=4096" in labels[L.LOG_URI] and "--max-files=4" in labels[L.LOG_URI]


def test_the_plain_file_of_before_is_still_read(conn, make):
    # stdout only: containerd 1.6's shim, copying both streams into the one file, now and
    # then loses stderr's line for good (8 of 109 runs here; the task deleted, still
    # missing), which is containerd's and documented under log_driver
    made = make("plain", start=False, command=["sh", "-c", "echo out; echo err"], log_driver="file")
    assert made["log_path"].endswith("/plain.log")
    finished(conn, "plain")
    # the shim copies to a file:// log after the exit is reported: wait for its last write
    wait_for(lambda: len(logs.read_log(made["log_path"])["data"]) == 8, 10, what="both lines")
    assert logs.read_log(made["log_path"])["data"].splitlines() == [b"out", b"err"]
    assert [e.stream for e in logs.read_entries(made["log_path"])] == [""]
    with pytest.raises(InvalidInput, match="no timestamps"):
        logs.read_entries(made["log_path"], logs.Window(since=0))


def test_ctr_sees_the_container_and_its_binary_log_uri(conn, make, containerd):
    made = make("interop", command=["sh", "-c", "echo hi; sleep 60"])
    listed = containerd.ctr("containers", "ls", "-q", namespace=conn.namespace).stdout
    assert "interop" in listed.split()
    process = tasks.get_process(conn, "interop")
    assert process is not None and process["stdout"].startswith("binary:///")
    assert process["stdout"] == process["stderr"]
    info = json.loads(
        containerd.ctr("containers", "info", "interop", namespace=conn.namespace).stdout
    )
    assert info["Labels"][L.LOG_URI] == process["stdout"]
    wait_for(lambda: logs.read_log(made["log_path"])["data"] == b"hi\n", 10, what="hi logged")


def test_two_daemons_never_share_a_log(conn, make, paths, containerd, monitored, image_archives):
    """The same namespace and container name on two containerds: two files."""
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.create import (
        create_container,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
        ContainerOptions,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
        Connection,
    )

    here = make("web", start=False, command=["echo", "here"])
    for archive in image_archives:
        monitored.ctr("images", "import", str(archive), namespace=conn.namespace)
    try:
        with Connection(monitored.address, namespace=conn.namespace) as other:
            options = ContainerOptions.from_dict({"image": BUSYBOX, "command": ["echo", "there"]})
            there = create_container(other, "web", options, paths, monitored.version)
            finished(other, "web")
            # runc keeps its state in one root for the machine, by namespace and id: one at a time
            lifecycle.remove(other, "web", force=True, remove_logs=False)
            finished(conn, "web")
            assert here["log_path"] != there["log_path"]
            for made, word in ((here, b"here\n"), (there, b"there\n")):
                wait_for(lambda m=made, w=word: _lines(m["log_path"]) == [w], 10, what="logged")
    finally:
        monitored.cleanup_namespace(conn.namespace)


def _lines(path: str) -> List[bytes]:
    return [e.data for e in logs.read_entries(path)]


def test_tail_while_following_from_another_thread(conn, make):
    made = make("tailf", command=["sh", "-c", "for i in 1 2 3; do echo $i; done; sleep 30"])
    wait_for(lambda: len(_lines(made["log_path"])) == 3, 10, what="three lines")
    got: List[bytes] = []
    stop = threading.Event()

    def follow() -> None:
        window = logs.Window(tail=1)
        for entry in logs.follow_entries(conn, "tailf", window, 0.05, should_stop=stop.is_set):
            got.append(entry.data)

    worker = threading.Thread(target=follow)
    worker.start()
    wait_for(lambda: got == [b"3\n"], 10, what="the tail")
    stop.set()
    worker.join(5)
    assert not worker.is_alive()


def test_cli_run_log_opts_and_follow_until_the_exit(conn, containerd):
    base = ["--address", containerd.address, "--namespace", conn.namespace]
    name = "cli-logs"
    made = ocirt(
        *base, "run", "-d", "--name", name, "--log-opt", "max-size=1k", "--log-opt", "max-file=2",
        "example.test/ocirt/busybox:1",
        "sh", "-c", "for i in $(seq 1 40); do echo out $i; done; sleep 0.5; echo bye >&2; sleep 1",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    try:
        uri = get_container(conn, name)["labels"][L.LOG_URI]
        assert "--max-size=1024" in uri and "--max-files=2" in uri
        followed = ocirt(*base, "logs", "-f", "-t", name)
        assert followed.returncode == 0, followed.stderr
        out = followed.stdout.splitlines()
        assert all(line.split(" ", 1)[0].endswith("Z") for line in out)
        numbers = [int(line.rsplit(" ", 1)[1]) for line in out]
        # the oldest rotated away, the rest in order
        assert numbers == list(range(41 - len(numbers), 41)) and 5 < len(numbers) < 40
        assert followed.stderr.endswith("Z bye\n")
        bad = ocirt(*base, "run", "--log-opt", "max-files=2", "example.test/ocirt/busybox:1")
        assert bad.returncode != 0 and "unknown key 'max-files'" in bad.stderr
    finally:
        ocirt(*base, "rm", "-f", name)
