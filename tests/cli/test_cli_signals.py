"""How every `ocirt` command ends when its reader goes away or the user presses Ctrl-C.

A closed pipe (`ocirt ps -a | head -1`) ends the command quietly with 141, as a shell reports
for a program a closed pipe ended; Ctrl-C ends it with 130, without a traceback, also while
it waits on a containerd that does not answer or in the middle of a pull.
"""

from __future__ import annotations

import os
import shlex
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
    [
        ["ps", "-a"],
        ["images"],
        ["namespace", "ls"],
        ["info", "--json"],
        ["info"],
        ["version"],
        ["completion", "bash"],
    ],
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


IMAGE = "example.test/ocirt/bb:1"
#: every command that only reads, each into `| head -0` (X: the image or container made)
READERS = [
    ["ps", "-a"],
    ["images"],
    ["image", "inspect", IMAGE],
    ["namespace", "ls"],
    ["info"],
    ["inspect", "piped"],
    ["logs", "piped"],
    ["stats", "--no-stream", "piped"],
    ["version"],
    ["completion", "bash"],
    ["--help"],
]


@pytest.fixture
def piped(containerd, containerd_namespace, busybox, tmp_path) -> List[str]:
    """The start of an ocirt command line whose namespace has the image and a container
    "piped" that runs and has written a line."""
    from harness.images import write_oci_archive

    archive = write_oci_archive(busybox, tmp_path / "busybox.tar", IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=containerd_namespace)
    argv = [OCIRT, "--address", containerd.address, "-n", containerd_namespace]
    command = ["run", "-d", "--name", "piped", IMAGE, "sh", "-c", "echo hi; exec sleep 1000"]
    ran = subprocess.run([*argv, *command], capture_output=True, text=True, env=_env())
    assert ran.returncode == 0, ran.stderr
    return argv


def test_every_reader_into_head_0_ends_quietly(piped):
    for command in READERS:
        line = " ".join(shlex.quote(w) for w in [*piped, *command])
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {line} | head -0"],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=BOUND,
        )
        assert (done.returncode in (0, 141), done.stderr) == (True, ""), command


def test_ctrl_c_ends_logs_follow_within_a_second(piped):
    proc = subprocess.Popen(
        [*piped, "logs", "-f", "piped"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "hi\n"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    err = ended(proc)
    took = time.monotonic() - sent
    print(f"ended {took:.2f} s after SIGINT")
    assert proc.returncode == 130 and err == "", err
    assert took < 5  # 1 s by design (INTERRUPT_GRACE); slack for a machine shared by many


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
