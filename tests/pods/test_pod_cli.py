"""`ocirt pod` with crictl's own config files (JSON and YAML, snake_case as crictl
documents them): run is idempotent, ls/inspect/exec/logs/stats, rm refuses a ready pod
unless forced; exec -it on a terminal of ours."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from ansible_collections.ocirt.containerd.plugins.module_utils.pods import desired, reconciler

from .conftest import BUSYBOX

OCIRT = str(Path(sys.executable).parent / "ocirt")


def ocirt(cri, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    return subprocess.run(
        [OCIRT, "--address", cri.address, *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _files(tmp_path: Path, name: str) -> list:
    # as in crictl's docs: metadata, log_directory, linux; network NODE (2) = host network
    pod = {
        "metadata": {"name": name, "namespace": "default", "attempt": 1},
        "log_directory": str(tmp_path / "logs"),
        "linux": {"security_context": {"namespace_options": {"network": 2}}},
    }
    web = {
        "metadata": {"name": "web"},
        "image": {"image": BUSYBOX},
        "command": ["sh", "-c", "echo serving; exec sleep 3600"],
        "log_path": "web.0.log",
        "linux": {},
    }
    paths = [tmp_path / "pod.json", tmp_path / "web.json", tmp_path / "side.yaml"]
    paths[0].write_text(json.dumps(pod))
    paths[1].write_text(json.dumps(web))
    paths[2].write_text(
        f"metadata:\n  name: side\nimage:\n  image: {BUSYBOX}\ncommand: [sleep, '3600']\n"
        "log_path: side.0.log\n"
    )
    return [str(p) for p in paths]


def test_crictl_files_run_and_the_pod_commands(cri, pod_name, tmp_path):
    files = _files(tmp_path, pod_name)
    first = ocirt(cri, "pod", "run", *files)
    assert first.returncode == 0, first.stderr
    sandbox_id = first.stdout.strip()
    again = ocirt(cri, "pod", "run", *files)
    assert again.returncode == 0 and again.stdout.strip() == sandbox_id, again.stderr
    assert again.stderr == ""  # nothing done, nothing said

    listed = json.loads(ocirt(cri, "pod", "ls", "--json", "--name", pod_name).stdout)
    assert [p["id"] for p in listed] == [sandbox_id]
    assert {c["name"]: c["state"] for c in listed[0]["containers"]} == {
        "side": "running",
        "web": "running",
    }
    assert pod_name in ocirt(cri, "pod", "ls").stdout
    inspected = json.loads(ocirt(cri, "pod", "inspect", f"default/{pod_name}").stdout)
    assert inspected["id"] == sandbox_id and inspected["network"] == "host"

    out = ocirt(cri, "pod", "exec", pod_name, "-c", "web", "--", "sh", "-c", "echo hi; exit 4")
    assert (out.returncode, out.stdout) == (4, "hi\n")
    # -i goes through the CRI's streaming server (Exec -> URL -> WebSocket)
    streamed = subprocess.run(
        [
            OCIRT,
            "--address",
            cri.address,
            "pod",
            "exec",
            "-i",
            pod_name,
            "-c",
            "web",
            "--",
            "sh",
            "-c",
            "read line; echo got $line; echo err >&2; exit 5",
        ],
        input="hello\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (streamed.returncode, streamed.stdout, streamed.stderr) == (5, "got hello\n", "err\n")
    logs = ocirt(cri, "pod", "logs", pod_name, "-c", "web")
    assert logs.returncode == 0 and "serving" in logs.stdout, logs.stderr
    stats = json.loads(ocirt(cri, "pod", "stats", pod_name, "--json").stdout)
    assert sorted(s["name"] for s in stats) == ["side", "web"]

    refused = ocirt(cri, "pod", "rm", pod_name)
    assert refused.returncode != 0 and "--force" in refused.stderr
    removed = ocirt(cri, "pod", "rm", "-f", pod_name)
    assert removed.returncode == 0 and removed.stdout.strip() == sandbox_id, removed.stderr
    assert json.loads(ocirt(cri, "pod", "ls", "--json", "--name", pod_name).stdout) == []


def test_camel_case_keys_are_refused_naming_them(cri, tmp_path):
    pod = tmp_path / "pod.json"
    pod.write_text(json.dumps({"metadata": {"name": "x", "namespace": "d"}, "logDirectory": "/t"}))
    failed = ocirt(cri, "pod", "run", str(pod))
    assert failed.returncode != 0 and "logDirectory: unknown key" in failed.stderr


def test_exec_with_a_terminal_gets_its_size(cri, cri_conn, pod_name, tmp_path):
    pod = desired.from_options(
        {
            "name": pod_name,
            "network": "host",
            "log_directory": str(tmp_path / "logs"),
            "containers": [{"name": "sh", "image": BUSYBOX, "command": ["sleep", "600"]}],
        }
    )
    reconciler.apply(cri_conn, reconciler.plan(cri_conn, pod))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    proc = subprocess.Popen(
        [
            OCIRT,
            "--address",
            cri.address,
            "pod",
            "exec",
            "-it",
            pod_name,
            "--",
            "sh",
            "-c",
            "sleep 0.5; stty size; exit 3",
        ],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 1024)
        except OSError:  # EIO: every writer of the terminal has gone
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=30) == 3
    os.close(leader)
    assert b"33 111" in out, out
