"""`ocirt events`: containerd's events as they happen, in lines or JSON, filtered.

A subscriber sees only what happens after containerd registered it, and nothing tells the
client when that was; so the tests first tag an image until the probe's /images/create
shows up, then act. Every wait is bounded; a subscriber that hangs fails the test.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import threading
import time
from typing import Callable, List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api.events import (
    Event,
    event_filters,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from cli.test_ocirt_cli import OCIRT, ocirt
from cli.test_ocirt_containers import env_for
from harness.daemon import ContainerdDaemon
from harness.images import write_oci_archive
from harness.util import wait_for

from ocirt.cli.events_command import event_line, event_record

IMAGE = "example.test/cli/events:1"
BOUND = 60  # seconds any wait here may take; generous, the machine is shared


class Watcher:
    """`ocirt events` in the background; its stdout lines collected by a thread."""

    def __init__(self, *args: str, env: dict) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
        full_env.update(env)
        self.proc = subprocess.Popen(
            [OCIRT, "events", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=full_env,
        )
        self.lines: List[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, found: Callable[[str], bool], what: str, timeout: float = BOUND):
        wait_for(lambda: any(found(line) for line in self.lines), timeout, what=what)

    def interrupt(self) -> str:
        """Ctrl-C; its stderr once it ended (within a second, as every command)."""
        self.proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            _, err = self.proc.communicate(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("ocirt events did not end after SIGINT") from None
        print(f"ocirt events ended {time.monotonic() - sent:.2f} s after SIGINT")
        assert time.monotonic() - sent < 5, "ended, but slowly"
        assert self.proc.returncode == 130 and "Traceback" not in err, err
        return err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def subscribed(containerd, ns: str, watchers: List[Watcher]) -> None:
    """Tag the image until every watcher has seen a probe's /images/create."""
    for attempt in range(BOUND):
        probe = f"example.test/cli/probe:{attempt}"
        containerd.ctr("images", "tag", IMAGE, probe, namespace=ns)
        try:
            for w in watchers:
                w.wait_for_line(lambda line, p=probe: p in line, "the probe event", timeout=1)
            return
        except TimeoutError:
            continue
    raise AssertionError("no watcher saw a probe event")


def _topics_for(lines: List[str], container: str) -> List[str]:
    records = [json.loads(line) for line in lines]
    return [
        r["topic"]
        for r in records
        if container in ((r["event"] or {}).get("container_id"), (r["event"] or {}).get("id"))
    ]


def test_events_of_a_run_and_a_stop(containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=ns)
    env = env_for(containerd, ns)
    as_json = Watcher("--json", env=env)
    # a shortcut plus a containerd filter on the probe, OR-ed
    as_lines = Watcher("--filter", "container=ev", "--filter", 'topic=="/images/create"', env=env)
    try:
        subscribed(containerd, ns, [as_json, as_lines])
        assert ocirt("run", "-d", "--name", "ev", IMAGE, "sleep", "1000", env=env).returncode == 0
        assert ocirt("run", "-d", "--name", "other", IMAGE, "true", env=env).returncode == 0
        assert ocirt("stop", "-t", "1", "ev", env=env).returncode == 0
        as_json.wait_for_line(lambda line: '"/tasks/exit"' in line and '"ev"' in line, "exit")
        as_lines.wait_for_line(lambda line: " /tasks/exit " in line, "the exit line")
        as_json.interrupt()
        as_lines.interrupt()
    finally:
        as_json.kill()
        as_lines.kill()
    topics = _topics_for(as_json.lines, "ev")
    wanted = ["/containers/create", "/tasks/create", "/tasks/start", "/tasks/exit"]
    assert [t for t in topics if t in wanted] == wanted, topics
    first = json.loads(as_json.lines[0])
    assert first["namespace"] == ns and first["type"].endswith("ImageCreate")
    datetime.datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))

    readable = [line for line in as_lines.lines if "probe" not in line]
    assert readable and all("other" not in line for line in readable), as_lines.lines
    exit_line = next(line for line in readable if " /tasks/exit " in line)
    _stamp, namespace, topic, *words = exit_line.split()
    assert (namespace, topic) == (ns, "/tasks/exit")
    assert {"container_id=ev", "id=ev", "exit_status=137"} <= set(words), exit_line
    assert any(w.startswith("pid=") and w != "pid=0" for w in words)


def test_a_bad_filter_is_refused(containerd, containerd_namespace):
    env = env_for(containerd, containerd_namespace)
    shortcut = ocirt("events", "--filter", "colour=red", env=env)
    assert shortcut.returncode == 1 and "container=" in shortcut.stderr, shortcut.stderr
    syntax = subprocess.run(
        [OCIRT, "-a", containerd.address, "events", "--filter", 'topic=="'],
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert syntax.returncode == 1 and syntax.stderr.startswith("ocirt: "), syntax.stderr
    assert "filter" in syntax.stderr and "Traceback" not in syntax.stderr


@pytest.mark.containerd_series("2.1")  # one series: a daemon of its own, stopped under it
def test_a_dead_containerd_ends_the_stream_with_a_message(containerd):
    daemon = ContainerdDaemon(containerd.series).start()
    try:
        watcher = Watcher(env={"CONTAINERD_ADDRESS": daemon.address})
        time.sleep(1)  # let it subscribe; what is tested does not depend on it
        daemon.proc.kill()
        try:
            _, err = watcher.proc.communicate(timeout=BOUND)
        finally:
            watcher.kill()
        assert watcher.proc.returncode == 1, err
        assert err.startswith("ocirt: ") and "containerd" in err and "Traceback" not in err, err
    finally:
        daemon.stop()


def test_filters_shortcuts_and_namespace_scope():
    """Daemon-free: the Subscribe filters a command line stands for."""
    assert event_filters("ns") == ['namespace=="ns"']
    assert event_filters(None) == []
    assert event_filters("ns", ['topic=="/tasks/exit",container=web']) == [
        'namespace=="ns",topic=="/tasks/exit",event.container_id=="web"',
        'namespace=="ns",topic=="/tasks/exit",topic~="^/containers/",event.id=="web"',
    ]
    assert event_filters(None, ["type=task,event=exit"]) == ['topic~="^/tasks/",topic~="/exit$"']
    assert event_filters(None, ['topic~="a,b"']) == ['topic~="a,b"']  # a quoted comma stays
    for bad in ("colour=red", "type=tasks", "event=a b"):
        with pytest.raises(InvalidInput):
            event_filters("ns", [bad])


def test_line_and_json_of_an_event():
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    exited = {"container_id": "web", "id": "web", "pid": 42, "exit_status": 0, "exited_at": when}
    event = Event(when, "default", "/tasks/exit", "containerd.events.TaskExit", exited, b"")
    assert event_line(event) == (
        "2026-01-02T03:04:05Z default /tasks/exit container_id=web id=web pid=42 exit_status=0"
    )
    assert event_record(event)["event"]["exited_at"] == "2026-01-02T03:04:05Z"
    unknown = Event(when, "default", "/x", "example.Other", None, b"\x01")
    assert event_line(unknown).endswith("/x type=example.Other")
    assert event_record(unknown)["raw"] == "AQ=="
