"""`ocirt run -it`, `exec -it`, `exec -i` and `attach` driven as a person drives them.

Each interactive command runs on a real pseudo-terminal (python's ``pty``): the test types
keystrokes on the master, reads what the terminal shows, resizes it (TIOCSWINSZ on the
master, then SIGWINCH) and checks the terminal is back in its cooked mode afterwards. Every
wait is bounded; a hung command is killed and the test fails saying what it waited for.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from typing import List, Optional

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import stdio
from cli.test_ocirt_cli import OCIRT
from harness.daemon import ContainerdDaemon
from harness.images import write_oci_archive

from ocirt.cli.terminal import DetachScanner, parse_detach_keys

IMAGE = "example.test/cli/tty-busybox:1"
BOUND = 30.0  # seconds any one expected output may take; the machine is shared
DETACH = b"\x10\x11"  # ctrl-p, ctrl-q


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}


class Terminal:
    """A command on the slave side of a new pty; the test holds the master."""

    def __init__(self, argv: List[str], rows: int = 24, cols: int = 80) -> None:
        self.argv = argv
        self.seen = b""
        self.status: Optional[int] = None
        pid, fd = pty.fork()
        if pid == 0:  # the child: its stdin, stdout and stderr are the slave
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(argv[0], argv, _env())
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.cooked = termios.tcgetattr(fd)

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the slave side is closed, the command is gone
            return False
        self.seen += chunk
        return bool(chunk)

    def expect(self, pattern: bytes, since: int = 0) -> re.Match:
        """The first match of ``pattern`` in the output after offset ``since``."""
        deadline = time.monotonic() + BOUND
        while True:
            found = re.compile(pattern).search(self.seen, since)
            if found:
                return found
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(
                    f"{pattern!r} not shown by {self.argv}; it showed {self.seen!r}"
                )

    def raw(self) -> None:
        """Wait until the command has put the terminal in raw mode: what is typed before
        is echoed here and then discarded (setraw flushes input), as on a real terminal."""
        deadline = time.monotonic() + BOUND
        while termios.tcgetattr(self.fd)[3] & (termios.ECHO | termios.ICANON):
            assert time.monotonic() < deadline, f"{self.argv} never set raw mode: {self.seen!r}"
            self._read(0.1)

    def resize(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(self.pid, signal.SIGWINCH)

    def wait(self) -> int:
        """The command's exit status, reading its output meanwhile."""
        deadline = time.monotonic() + BOUND
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
            elif time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise AssertionError(f"{self.argv} still running after {BOUND} s: {self.seen!r}")
            else:
                self._read(0.1)
        return self.status

    def restored(self) -> bool:
        """Whether the terminal is in the mode it had before the command (not raw)."""
        return termios.tcgetattr(self.fd)[3] == self.cooked[3]

    def close(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.fixture
def cli(containerd, containerd_namespace, busybox, tmp_path):
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=containerd_namespace)
    return [OCIRT, "--address", containerd.address, "-n", containerd_namespace]


@pytest.fixture
def terminals():
    opened: List[Terminal] = []

    def start(argv: List[str]) -> Terminal:
        opened.append(Terminal(argv))
        return opened[-1]

    yield start
    for term in opened:
        term.close()


def ocirt(cli: List[str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([*cli, *args], input=stdin, capture_output=True, env=_env(), timeout=60)


def _size_shown(term: Terminal) -> bytes:
    """What `stty size` says in the container now (typed with a marker around it)."""
    since = len(term.seen)
    term.send(b'echo "S$(busybox stty size)E"\r')
    return term.expect(rb"S(\d+ \d+)E", since).group(1)


def _drive_shell(term: Terminal) -> None:
    """Type commands, follow a resize, exit 3."""
    term.expect(rb"# ")
    since = len(term.seen)
    term.send(b'echo "hel""lo"\r')
    term.expect(rb"hello\r\n", since)
    assert _size_shown(term) == b"24 80"
    term.resize(40, 100)
    deadline = time.monotonic() + BOUND
    while _size_shown(term) != b"40 100":  # the resize travels: SIGWINCH -> ResizePty
        assert time.monotonic() < deadline, term.seen
        time.sleep(0.2)
    term.send(b"exit 3\r")
    assert term.wait() == 3, term.seen
    assert term.restored()


def test_run_it_shell(cli, terminals):
    term = terminals([*cli, "run", "-it", "--rm", "--name", "tty-run", IMAGE, "sh"])
    _drive_shell(term)
    assert b"tty-run" not in ocirt(cli, "ps", "-a", "-q").stdout  # --rm removed it


def test_exec_it_shell(cli, terminals):
    assert ocirt(cli, "run", "-d", "--name", "tty-exec", IMAGE, "sleep", "1000").returncode == 0
    _drive_shell(terminals([*cli, "exec", "-it", "tty-exec", "sh"]))
    assert ocirt(cli, "exec", "tty-exec", "true").returncode == 0  # still running


def test_exec_i_pipes_stdin_and_forwards_signals(cli):
    assert ocirt(cli, "run", "-d", "--name", "piped", IMAGE, "sleep", "1000").returncode == 0
    done = ocirt(cli, "exec", "-i", "piped", "cat", stdin=b"x\n")
    assert (done.returncode, done.stdout) == (0, b"x\n"), done.stderr
    ran = ocirt(cli, "run", "-i", "--rm", IMAGE, "sh", "-c", "cat; echo err >&2", stdin=b"y\n")
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, b"y\n", b"err\n")
    big = os.urandom(300_000)  # more than a pipe holds: the copy waits for the reader
    counted = ocirt(cli, "exec", "-i", "piped", "wc", "-c", stdin=big)
    assert counted.stdout.split() == [b"300000"], counted.stderr

    sleeper = subprocess.Popen(
        [*cli, "exec", "-i", "piped", "sleep", "100"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    try:
        deadline = time.monotonic() + BOUND
        while b"sleep 100" not in ocirt(cli, "exec", "piped", "ps").stdout:
            assert time.monotonic() < deadline, "the exec'd sleep never showed up"
            time.sleep(0.2)
        sleeper.send_signal(signal.SIGINT)  # forwarded: sleep dies of SIGINT, 128 + 2
        assert sleeper.wait(BOUND) == 130
    finally:
        sleeper.kill()
        sleeper.communicate()


def test_attach_and_detach_keys(cli, terminals):
    started = ocirt(cli, "run", "-dit", "--name", "attached", IMAGE, "sh")
    assert started.returncode == 0, started.stderr
    first = terminals([*cli, "attach", "attached"])
    first.raw()
    first.send(b"\r")
    first.expect(rb"# ")
    since = len(first.seen)
    first.send(b'echo "at""tached"\r')
    first.expect(rb"attached\r\n", since)
    first.send(DETACH)
    assert first.wait() == 0 and first.restored()
    assert b"running" in ocirt(cli, "ps").stdout  # detaching left it running

    second = terminals([*cli, "attach", "attached"])
    second.raw()
    second.send(b"\r")
    second.expect(rb"# ")
    second.send(b"exit 5\r")
    assert second.wait() == 5


def test_run_it_detaches_and_attach_finds_it(cli, terminals):
    term = terminals([*cli, "run", "-it", "--name", "left", IMAGE, "sh"])
    term.expect(rb"# ")
    term.send(DETACH)
    assert term.wait() == 0 and term.restored()
    again = terminals([*cli, "attach", "left"])
    again.raw()
    again.send(b"exit 4\r")
    assert again.wait() == 4


def test_attach_to_a_container_without_a_terminal(cli):
    assert ocirt(cli, "run", "-d", "--name", "plain", IMAGE, "sleep", "1000").returncode == 0
    refused = ocirt(cli, "attach", "plain")
    assert refused.returncode == 1 and b"ocirt logs -f" in refused.stderr


def test_a_dead_containerd_ends_an_attach_with_a_message(containerd, busybox, tmp_path, terminals):
    daemon = ContainerdDaemon(containerd.series).start()
    try:
        archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
        daemon.ctr("images", "import", str(archive), namespace="tty")
        cli = [OCIRT, "--address", daemon.address, "-n", "tty"]
        assert ocirt(cli, "run", "-dit", "--name", "orphan", IMAGE, "sh").returncode == 0
        term = terminals([*cli, "attach", "orphan"])
        term.raw()
        daemon.proc.kill()  # the shim and its sh stay, as after a crash
        daemon.proc.wait(BOUND)
        assert term.wait() == 1
        print(term.seen)
        assert b"ocirt: " in term.seen and b"Traceback" not in term.seen, term.seen
        assert term.restored()
    finally:
        daemon.stop()  # kills the shim behind ocirt's back: its FIFOs are the test's to remove
        for left in glob.glob(os.path.join(stdio.FIFO_ROOT, "ocirt-orphan-*")):
            shutil.rmtree(left, ignore_errors=True)


# no containerd needed below


@pytest.mark.parametrize(
    "spec,keys",
    [("ctrl-p,ctrl-q", b"\x10\x11"), ("ctrl-@,ctrl-_,a,ctrl-P", b"\x00\x1fa\x10")],
)
def test_detach_keys_in_dockers_syntax(spec, keys):
    assert parse_detach_keys(spec) == keys


def test_bad_detach_keys_are_refused():
    from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
        InvalidInput,
    )

    with pytest.raises(InvalidInput, match="--detach-keys"):
        parse_detach_keys("ctrl-1")


def test_detach_sequence_is_held_back_until_it_is_known():
    scanner = DetachScanner(DETACH)
    assert scanner.feed(b"ab\x10") == b"ab"  # ctrl-p may start it: held
    assert scanner.feed(b"c") == b"\x10c"  # it did not: sent on
    assert scanner.feed(b"\x10") == b""
    assert scanner.feed(b"\x11") is None  # detach
