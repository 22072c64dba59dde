"""The log driver as containerd's shim runs it: pipes on fds 3 and 4, "ready" on fd 5
(no daemon: the protocol is the shim's NewBinaryIO, done here by hand)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

from ansible_collections.ocirt.containerd.plugins.module_utils.containers import logs
from ansible_collections.ocirt.containerd.plugins.module_utils.logs import driver, install


class Shim:
    """Starts the installed driver the way the shim does; holds the write ends."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.log = str(tmp_path / "c-json.log")
        program = install.install_driver(str(tmp_path / "libexec"))
        out_r, self.out = os.pipe()
        err_r, self.err = os.pipe()
        ready_r, ready_w = os.pipe()
        child = {3: out_r, 4: err_r, 5: ready_w}

        def fds() -> None:
            for target, fd in child.items():
                os.dup2(fd, 30 + target)
            for target in child:
                os.dup2(30 + target, target)
                os.close(30 + target)

        env = {"CONTAINER_ID": "c", "CONTAINER_NAMESPACE": "ns"}
        self.proc = subprocess.Popen(
            [program, "--path", self.log, *args], preexec_fn=fds, close_fds=False, env=env
        )
        for fd in child.values():
            os.close(fd)
        self.ready = os.read(ready_r, 1)
        os.close(ready_r)

    def close(self) -> int:
        for fd in (self.out, self.err):
            os.close(fd)
        return self.proc.wait(10)


def records(path: str) -> List[Tuple[str, str]]:
    with open(path, "rb") as f:
        return [(r["stream"], r["log"]) for r in map(json.loads, f)]


def test_installed_once_with_the_node_python(tmp_path):
    path = install.install_driver(str(tmp_path))
    first = os.stat(path)
    assert install.install_driver(str(tmp_path)) == path
    assert os.stat(path).st_ino == first.st_ino  # same content: not written again
    with open(path, "rb") as f:
        assert f.readline() == f"#!{install.interpreter()} -I\n".encode()
    assert os.access(path, os.X_OK)
    assert install.interpreter() == "/usr/bin/python3" or not os.path.exists("/usr/bin/python3")


def test_uri_round_trip():
    uri = install.driver_uri("/var/lib/ocirt/libexec/ocirt-log-driver", "/l/a b-json.log", 10, 3)
    assert uri.startswith("binary:///var/lib/ocirt/libexec/ocirt-log-driver?--path=%2Fl%2Fa+b")
    assert install.uri_driver_path(uri) == "/var/lib/ocirt/libexec/ocirt-log-driver"
    assert install.uri_driver_path("file:///x.log") is None


def test_streams_partial_lines_and_end(tmp_path):
    shim = Shim(tmp_path)
    assert shim.ready == b"1"
    os.write(shim.out, b"one\ntw")
    os.write(shim.err, "é\n".encode())
    os.write(shim.out, b"o\n" + b"x" * (driver.PARTIAL_LIMIT + 10) + b"\nlast")
    assert shim.close() == 0
    got = records(shim.log)
    assert ("stderr", "é\n") in got
    out = [text for stream, text in got if stream == "stdout"]
    assert out == ["one\n", "two\n", "x" * driver.PARTIAL_LIMIT, "x" * 10 + "\n", "last"]
    entries = logs.read_entries(shim.log)
    times = [e.time for e in entries]
    assert times == sorted(times) and all(t.endswith("Z") and len(t) == 30 for t in times)


def test_sigterm_drains_what_is_left(tmp_path):
    shim = Shim(tmp_path)
    os.write(shim.out, b"".join(b"line %d\n" % i for i in range(1000)))
    shim.proc.send_signal(signal.SIGTERM)
    assert shim.proc.wait(10) == 0
    assert len(records(shim.log)) == 1000
    for fd in (shim.out, shim.err):
        os.close(fd)


def test_rotation_keeps_max_files(tmp_path):
    shim = Shim(tmp_path, "--max-size", "1000", "--max-files", "3")
    for i in range(100):
        os.write(shim.out, b"line %03d\n" % i)
    assert shim.close() == 0
    files = logs.log_files(shim.log)
    assert [os.path.basename(f) for f in files] == ["c-json.log.2", "c-json.log.1", "c-json.log"]
    assert all(os.path.getsize(f) <= 1000 for f in files)
    kept = [e.data for e in logs.read_entries(shim.log)]
    assert kept == [b"line %03d\n" % i for i in range(100 - len(kept), 100)]
    assert [e.data for e in logs.read_entries(shim.log, logs.Window(tail=3))] == kept[-3:]
    assert [e.data for e in logs.read_entries(shim.log, logs.Window(tail=1000))] == kept


def test_stderr_grace_when_stdout_ends(tmp_path):
    """A terminal: the shim never closes the writer of fd 4; stdout's end ends the driver."""
    shim = Shim(tmp_path)
    os.write(shim.out, b"bye\n")
    os.close(shim.out)
    assert shim.proc.wait(5) == 0
    os.close(shim.err)
    assert records(shim.log) == [("stdout", "bye\n")]


def test_the_format_round_trips():
    line = driver.encode("stderr", b"a\x00\xff\n", 1_700_000_000_123_456_789)
    assert json.loads(line)["time"] == "2023-11-14T22:13:20.123456789Z"
    decoded: Dict[str, object] = dict(zip(("stream", "data", "time"), driver.decode(line) or ()))
    assert decoded["stream"] == "stderr" and decoded["data"] == "a\x00\ufffd\n".encode()
    assert driver.decode(b'{"log": "x"') is None
