"""How every `ocirt` command ends when its reader goes away or the user presses Ctrl-C.

A closed pipe (`ocirt ps -a | head -1`) ends the command quietly with 141, as a shell reports
for a program a closed pipe ended; Ctrl-C ends it with 130, without a traceback, also while
it waits on a containerd that does not answer or in the middle of a pull.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import List

import pytest
from cli.test_ocirt_cli import OCIRT
from harness.daemon import ContainerdDaemon
from harness.images import push, unique_image
from harness.slow_proxy import SlowProxy
from harness.util import wait_for

BOUND = 60  # seconds any of these commands may take to end; generous, the machine is shared


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}


def ended(proc: subprocess.Popen) -> str:
    """stderr once the process exits; killed, and the test failed, if it hangs."""
    try:
        return proc.communicate(timeout=BOUND)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"{proc.args} still running after {BOUND} s") from None


def run_into_closed_pipe(argv: List[str]) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader is already gone (deterministic EPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            argv,
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_env(),
            timeout=BOUND,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "command",
    [["ps", "-a"], ["images"], ["namespace", "ls"], ["info", "--json"]],
    ids=lambda c: " ".join(c),
)
def test_a_closed_pipe_ends_the_command_quietly(containerd, containerd_namespace, command):
    argv = [OCIRT, "--address", containerd.address, "-n", containerd_namespace, *command]
    done = run_into_closed_pipe(argv)
    assert done.returncode == 141
    assert done.stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError"


def test_a_closed_pipe_after_inspect(containerd, containerd_namespace, busybox, tmp_path):
    from harness.images import write_oci_archive

    archive = write_oci_archive(busybox, tmp_path / "busybox.tar", "example.test/ocirt/bb:1")
    ns = containerd_namespace
    containerd.ctr("images", "import", str(archive), namespace=ns)
    containerd.ctr("containers", "create", "example.test/ocirt/bb:1", "pipe-me", namespace=ns)
    argv = [OCIRT, "--address", containerd.address, "-n", ns, "inspect", "pipe-me"]
    shown = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=BOUND)
    assert shown.returncode == 0 and "pipe-me" in shown.stdout, shown.stderr
    done = run_into_closed_pipe(argv)
    assert (done.returncode, done.stderr) == (141, "")


def _interrupt_when_started(proc: subprocess.Popen) -> float:
    """SIGINT once the command is past start-up (its gRPC channel threads exist), which is
    when a person's Ctrl-C would come; returns when it was sent."""
    tasks = Path(f"/proc/{proc.pid}/task")
    wait_for(lambda: len(list(tasks.iterdir())) > 2, timeout=BOUND, what="ocirt to start")
    time.sleep(0.5)  # let it get to its wait
    proc.send_signal(signal.SIGINT)
    return time.monotonic()


@pytest.mark.containerd_series("1.6")  # one series: a daemon of its own, stopped with SIGSTOP
def test_ctrl_c_ends_a_command_waiting_on_a_hung_containerd(containerd):
    daemon = ContainerdDaemon(containerd.series).start()
    try:
        os.kill(daemon.proc.pid, signal.SIGSTOP)
        argv = [OCIRT, "--address", daemon.address, "--timeout", "300", "images"]
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
        sent = _interrupt_when_started(proc)
        err = ended(proc)
        print(f"ended {time.monotonic() - sent:.2f} s after SIGINT")
        assert proc.returncode == 130 and "Traceback" not in err, err
    finally:
        os.kill(daemon.proc.pid, signal.SIGCONT)
        daemon.stop()


@pytest.mark.containerd_series("2.1")  # one series: a pull through a slow registry front
def test_ctrl_c_ends_a_pull_in_the_middle_of_a_layer(
    containerd, containerd_namespace, registry_http
):
    push(registry_http, "ocirt/ctrl-c", "1", unique_image("ctrl-c", size=8 * 1024 * 1024))
    with SlowProxy(registry_http.host, rate=1024 * 1024) as proxy:
        ref = f"{proxy.host}/ocirt/ctrl-c:1"
        argv = [OCIRT, "--address", containerd.address, "-n", containerd_namespace]
        proc = subprocess.Popen(
            [*argv, "pull", "--hosts-dir", "/nonexistent", ref],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        proxy.wait_served(1024 * 1024, timeout=BOUND)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        err = ended(proc)
        print(f"ended {time.monotonic() - sent:.2f} s after SIGINT")
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert ref not in containerd.ctr("images", "ls", "-q", namespace=containerd_namespace).stdout
