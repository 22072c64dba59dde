"""A private containerd daemon for tests: own config, root, state and sockets in a tmp dir.

Never touches the machine's own containerd (/run/containerd/containerd.sock). The binaries
of series 1.6 are Debian 12's (/usr/bin); 1.7 and 2.1 are unpacked into the project cache
by scripts/fetch-containerd.sh (see ensure_containerd()).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Union

from .util import (
    REPO_ROOT,
    cache_dir,
    cgroup_mounts,
    kill_tree,
    proc_cmdlines,
    remove_cgroups,
    stop_process,
    tail_file,
    unmount_all_under,
)

SYSTEM_BIN_DIR = Path("/usr/bin")
SYSTEM_SERIES = "1.6"
FETCHED_SERIES = ("1.7", "2.1")
ALL_SERIES = (SYSTEM_SERIES, *FETCHED_SERIES)
CNI_BIN_DIR = "/usr/lib/cni"
FETCH_SCRIPT = REPO_ROOT / "scripts" / "fetch-containerd.sh"
#: Where the runc shim keeps container state unless told otherwise (shared machine-wide).
RUNC_DEFAULT_ROOT = Path("/run/containerd/runc")
SHIM_SOCKET_DIR = Path("/run/containerd/s")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ContainerdError(RuntimeError):
    pass


def bin_dir_for(series: str) -> Path:
    """Directory holding containerd, ctr and containerd-shim-runc-v2 of a series."""
    if series == SYSTEM_SERIES:
        return Path(os.environ.get("OCIRT_CONTAINERD_1_6_BIN_DIR", SYSTEM_BIN_DIR))
    if series in FETCHED_SERIES:
        return cache_dir() / "containerd" / series / "usr" / "bin"
    raise ValueError(f"unknown containerd series {series!r}; known: {', '.join(ALL_SERIES)}")


def ensure_containerd(series: str) -> Path:
    """Make sure the binaries of series exist (fetching 1.7/2.1 if needed); its bin dir."""
    bin_dir = bin_dir_for(series)
    if series in FETCHED_SERIES and not (bin_dir / "containerd").exists():
        r = subprocess.run(
            ["bash", str(FETCH_SCRIPT), series],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if r.returncode != 0:
            raise ContainerdError(
                f"scripts/fetch-containerd.sh {series} failed ({r.returncode}):\n"
                f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
            )
    for name in ("containerd", "ctr", "containerd-shim-runc-v2"):
        if not (bin_dir / name).exists():
            raise ContainerdError(f"containerd {series}: {bin_dir / name} is missing")
    return bin_dir


def parse_version(output: str) -> str:
    """ "1.6.20" from `containerd --version` output ("... 1.6.20~ds1 1.6.20~ds1-1+deb12u3")."""
    m = re.search(r"\sv?(\d+\.\d+\.\d+)", output)
    if not m:
        raise ContainerdError(f"cannot read a version from {output!r}")
    return m.group(1)


def _toml(value: object) -> str:
    """A TOML value for str / bool / int / list of str (JSON strings are TOML strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@contextmanager
def running(daemon: ContainerdDaemon) -> Iterator[ContainerdDaemon]:
    """The daemon started for a block and stopped after; a daemon that fails to start keeps
    its files (config, log) for the failure report."""
    try:
        daemon.start()
    except BaseException:
        daemon.stop(keep_files=True)
        raise
    try:
        yield daemon
    finally:
        daemon.stop()


class ContainerdDaemon:
    """One private containerd.

    Everything lives in a short tmp dir (/tmp/ocirt-XXXXXXXX/, unix socket paths must stay
    under 108 bytes): config.toml, root/, state/, containerd.sock (+ .ttrpc), debug.sock,
    containerd.log, cni/net.d/ (CNI conf dir, empty) and certs.d/ (registry hosts dir, used
    by CRI and, on 2.x, the transfer service).
    """

    def __init__(
        self,
        series: Optional[str] = None,
        bin_dir: Optional[Union[str, Path]] = None,
        log_level: str = "debug",
        sandbox_image: Optional[str] = None,
        extra_config: str = "",
        tmp_parent: str = "/tmp",
        netns: Optional[str] = None,
    ):
        if series is None and bin_dir is None:
            series = SYSTEM_SERIES
        self.bin_dir = Path(bin_dir) if bin_dir is not None else bin_dir_for(series or "")
        self.containerd_bin = self.bin_dir / "containerd"
        self.ctr_bin = self.bin_dir / "ctr"
        self.shim_bin = self.bin_dir / "containerd-shim-runc-v2"
        out = subprocess.run(
            [str(self.containerd_bin), "--version"],
            capture_output=True,
            text=True,
            check=True,
            stdin=subprocess.DEVNULL,
        ).stdout
        self.version_output = out.strip()
        self.version = parse_version(out)
        self.series = ".".join(self.version.split(".")[:2])
        if series is not None and series != self.series:
            raise ContainerdError(f"{self.containerd_bin} is {self.version}, not series {series}")
        self.major = int(self.version.split(".")[0])
        self.config_version = 3 if self.major >= 2 else 2
        self.log_level = log_level
        self.sandbox_image = sandbox_image
        self.extra_config = extra_config
        self.netns = netns  # run the daemon (and so its shims and tasks) in this netns

        self.tmpdir = Path(tempfile.mkdtemp(prefix="ocirt-", dir=tmp_parent))
        self.root = self.tmpdir / "root"
        self.state = self.tmpdir / "state"
        self.address = str(self.tmpdir / "containerd.sock")
        self.ttrpc_address = self.address + ".ttrpc"
        self.debug_address = str(self.tmpdir / "debug.sock")
        self.config_path = self.tmpdir / "config.toml"
        self.log_path = self.tmpdir / "containerd.log"
        self.cni_conf_dir = self.tmpdir / "cni" / "net.d"
        self.cni_bin_dir = CNI_BIN_DIR
        self.hosts_dir = self.tmpdir / "certs.d"
        if len(self.ttrpc_address) > 100:
            raise ContainerdError(f"socket path too long for AF_UNIX: {self.ttrpc_address}")
        self.proc: Optional[subprocess.Popen] = None
        self._removed = False
        self._killed: set = set()
        for d in (self.root, self.state, self.cni_conf_dir, self.hosts_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.write_config()

    # --------------------------------------------------------------------------- config

    def config_text(self) -> str:
        lines = [
            f"version = {self.config_version}",
            f"root = {_toml(str(self.root))}",
            f"state = {_toml(str(self.state))}",
            "",
            "[grpc]",
            f"  address = {_toml(self.address)}",
            "",
            "[ttrpc]",
            f"  address = {_toml(self.ttrpc_address)}",
            "",
            "[debug]",
            f"  address = {_toml(self.debug_address)}",
            f"  level = {_toml(self.log_level)}",
            "",
        ]
        hosts = _toml(str(self.hosts_dir))
        conf = _toml(str(self.cni_conf_dir))
        if self.config_version == 2:
            cri = '[plugins."io.containerd.grpc.v1.cri"'
            lines += [
                f"{cri}]",
                # the sandbox's OOM score -998 needs CAP_SYS_RESOURCE, which a test machine
                # in a container may lack: no lower than containerd's own (as rootless does)
                "  restrict_oom_score_adj = true",
                *([f"  sandbox_image = {_toml(self.sandbox_image)}"] if self.sandbox_image else []),
                f"{cri}.containerd]",
                '  snapshotter = "overlayfs"',
                '  default_runtime_name = "runc"',
                f"{cri}.containerd.runtimes.runc]",
                '  runtime_type = "io.containerd.runc.v2"',
                f"{cri}.containerd.runtimes.runc.options]",
                "  SystemdCgroup = false",
                f"{cri}.cni]",
                f"  bin_dir = {_toml(self.cni_bin_dir)}",
                f"  conf_dir = {conf}",
                f"{cri}.registry]",
                f"  config_path = {hosts}",
                "",
            ]
            if self.series != "1.6":
                lines += ['[plugins."io.containerd.nri.v1.nri"]', "  disable = true", ""]
        else:
            images = '[plugins."io.containerd.cri.v1.images"'
            runtime = '[plugins."io.containerd.cri.v1.runtime"'
            minor = int(self.version.split(".")[1])
            cni_bins = (
                f"  bin_dirs = {_toml([self.cni_bin_dir])}"
                if (self.major, minor) >= (2, 1)
                else f"  bin_dir = {_toml(self.cni_bin_dir)}"
            )
            lines += [
                f"{images}]",
                '  snapshotter = "overlayfs"',
                f"{images}.registry]",
                f"  config_path = {hosts}",
            ]
            if self.sandbox_image:
                lines += [f"{images}.pinned_images]", f"  sandbox = {_toml(self.sandbox_image)}"]
            lines += [
                f"{runtime}]",
                "  restrict_oom_score_adj = true",  # see the version 2 branch
                f"{runtime}.containerd]",
                '  default_runtime_name = "runc"',
                f"{runtime}.containerd.runtimes.runc]",
                '  runtime_type = "io.containerd.runc.v2"',
                f"{runtime}.containerd.runtimes.runc.options]",
                "  SystemdCgroup = false",
                f"{runtime}.cni]",
                cni_bins,
                f"  conf_dir = {conf}",
                "",
                '[plugins."io.containerd.transfer.v1.local"]',
                f"  config_path = {hosts}",
                "",
                '[plugins."io.containerd.nri.v1.nri"]',
                "  disable = true",
                "",
            ]
        if self.extra_config:
            lines += ["", self.extra_config]
        return "\n".join(lines) + "\n"

    def write_config(self) -> None:
        self.config_path.write_text(self.config_text())

    # --------------------------------------------------------------------------- lifecycle

    def env(self) -> Dict[str, str]:
        """Environment for containerd and ctr: this series' bin dir first on PATH (the
        daemon finds containerd-shim-runc-v2 there; runc is Debian 12's /usr/sbin/runc)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
        env["PATH"] = f"{self.bin_dir}:{SYSTEM_PATH}"
        return env

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _socket_ready(self) -> bool:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(1)
            s.connect(self.address)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def start(self, timeout: float = 30) -> ContainerdDaemon:
        """Start and wait until the socket accepts and `ctr version` answers (bounded)."""
        if self.running:
            return self
        if self._removed:
            raise ContainerdError("this daemon was stopped for good; make a new one")
        self.log_path.touch()
        with open(self.log_path, "ab") as log:
            log.write(f"=== ocirt harness: starting {self.containerd_bin} ===\n".encode())
            log.flush()
            argv = [str(self.containerd_bin), "--config", str(self.config_path)]
            if self.netns:
                argv = ["nsenter", f"--net={self.netns}", "--", *argv]
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env(),
                start_new_session=True,
                cwd=str(self.tmpdir),
            )
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise ContainerdError(
                    f"containerd {self.version} exited with {rc} during start-up; "
                    f"last log lines of {self.log_path}:\n{self.log_tail(40)}"
                )
            if self._socket_ready():
                r = self.ctr("version", namespace=None, check=False, timeout=10)
                if r.returncode == 0 and "Server:" in r.stdout:
                    return self
                last = (r.stderr or r.stdout).strip()
            if time.monotonic() > deadline:
                self.stop_process()
                raise ContainerdError(
                    f"containerd {self.version} not ready after {timeout:.0f} s "
                    f"(ctr version: {last!r}); last log lines:\n{self.log_tail(40)}"
                )
            time.sleep(0.05)

    def stop_process(self, timeout: float = 10) -> None:
        """Stop only the daemon (SIGTERM, wait, SIGKILL); shims and tasks keep running."""
        if self.proc is not None:
            stop_process(self.proc, timeout=timeout)
            self.proc = None

    def restart(self, timeout: float = 30) -> ContainerdDaemon:
        """Stop the daemon process and start it again on the same root/state/config.
        Running tasks survive (their shims keep running), as with a real restart."""
        self.stop_process()
        return self.start(timeout=timeout)

    def stop(self, keep_files: Optional[bool] = None) -> None:
        """Kill all tasks, stop the daemon, kill leftover shims of this daemon, unmount
        everything under its tmp dir and remove it (kept if OCIRT_KEEP_TMP=1)."""
        if self._removed:
            return
        namespaces: List[str] = []
        if self.running:
            try:
                namespaces = self.namespaces()
                for ns in namespaces:
                    self._kill_tasks(ns)
            except Exception:  # best effort: the daemon may be wedged
                pass
        self.stop_process()
        self.kill_shims()
        self._remove_namespace_leftovers(namespaces)
        unmount_all_under(str(self.tmpdir))
        if keep_files is None:
            keep_files = os.environ.get("OCIRT_KEEP_TMP") == "1"
        if not keep_files:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self._removed = True

    def __enter__(self) -> ContainerdDaemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --------------------------------------------------------------------------- cleanup

    def shim_processes(self) -> List[tuple]:
        """(pid, namespace, id) of containerd-shim processes serving this daemon."""
        found = []
        for pid, argv in proc_cmdlines():
            if not os.path.basename(argv[0]).startswith("containerd-shim"):
                continue
            opts = {}
            for i, a in enumerate(argv[:-1]):
                if a.startswith("-"):
                    opts[a.lstrip("-")] = argv[i + 1]
            addr = opts.get("address", "").replace("unix://", "")
            if addr == self.address:
                found.append((pid, opts.get("namespace", ""), opts.get("id", "")))
        return found

    def kill_shims(self) -> None:
        for pid, ns, cid in self.shim_processes():
            kill_tree(pid)
            # What a shim killed with SIGKILL leaves behind machine-wide.
            # (shim sockets are /run/containerd/s/sha256(<address>/<ns>/<id>[/debug]))
            key = os.path.join(self.address, ns, cid)
            for k in (key, os.path.join(key, "debug")):
                try:
                    (SHIM_SOCKET_DIR / hashlib.sha256(k.encode()).hexdigest()).unlink()
                except OSError:
                    pass
            if ns and cid:
                self._killed.add((ns, cid))
        deadline = time.monotonic() + 5
        while self.shim_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = sorted(self._killed)
        self._killed.clear()
        for attempt in range(20):
            # runc state and cgroups that `runc delete` would have removed
            for ns, cid in killed:
                shutil.rmtree(RUNC_DEFAULT_ROOT / ns / cid, ignore_errors=True)
                remove_cgroups(f"{ns}/{cid}")
            self._remove_namespace_leftovers(sorted({ns for ns, _ in killed}))
            left = [
                k
                for k in killed
                if (RUNC_DEFAULT_ROOT / k[0] / k[1]).exists()
                or any(os.path.isdir(os.path.join(mp, *k)) for mp in cgroup_mounts())
            ]
            if not left or attempt == 19:
                break
            time.sleep(0.05)

    def _remove_namespace_leftovers(self, namespaces: List[str]) -> None:
        """Empty per-namespace dirs this daemon's tasks left machine-wide (rmdir only, so
        whatever another daemon still uses stays)."""
        for ns in namespaces:
            remove_cgroups(ns)
            try:
                (RUNC_DEFAULT_ROOT / ns).rmdir()
            except OSError:
                pass

    def namespaces(self) -> List[str]:
        r = self.ctr("namespaces", "ls", "-q", namespace=None, check=False, timeout=20)
        return r.stdout.split() if r.returncode == 0 else []

    def kill_all_tasks(self) -> None:
        for ns in self.namespaces():
            self._kill_tasks(ns)

    def _kill_tasks(self, ns: str) -> None:
        r = self.ctr("tasks", "ls", "-q", namespace=ns, check=False, timeout=20)
        for tid in r.stdout.split():
            self.ctr(
                "tasks", "kill", "-a", "-s", "SIGKILL", tid, namespace=ns, check=False, timeout=20
            )
            self.ctr("tasks", "rm", "-f", tid, namespace=ns, check=False, timeout=20)

    def cleanup_namespace(self, ns: str) -> bool:
        """Best effort: remove everything in namespace ns, then ns itself (and its cgroup).
        Returns whether the namespace is gone."""
        if not self.running:
            return False
        self._kill_tasks(ns)
        ids = self.ctr("containers", "ls", "-q", namespace=ns, check=False).stdout.split()
        if ids:
            self.ctr("containers", "rm", *ids, namespace=ns, check=False)
        imgs = self.ctr("images", "ls", "-q", namespace=ns, check=False).stdout.split()
        if imgs:
            self.ctr("images", "rm", "--sync", *imgs, namespace=ns, check=False)
        leases = self.ctr("leases", "ls", "-q", namespace=ns, check=False).stdout.split()
        if leases:
            self.ctr("leases", "rm", *leases, namespace=ns, check=False)
        for snapshotter in ("overlayfs", "native"):
            for _ in range(10):  # children before parents
                snaps = self._snapshots(ns, snapshotter)
                if not snaps:
                    break
                for key in snaps:
                    self.ctr(
                        "snapshots",
                        "--snapshotter",
                        snapshotter,
                        "rm",
                        key,
                        namespace=ns,
                        check=False,
                    )
        blobs = self.ctr("content", "ls", "-q", namespace=ns, check=False).stdout.split()
        if blobs:
            self.ctr("content", "rm", *blobs, namespace=ns, check=False)
        r = self.ctr("namespaces", "rm", "--cgroup", ns, namespace=None, check=False)
        self._remove_namespace_leftovers([ns])
        return r.returncode == 0

    def _snapshots(self, ns: str, snapshotter: str) -> List[str]:
        r = self.ctr("snapshots", "--snapshotter", snapshotter, "ls", namespace=ns, check=False)
        if r.returncode != 0:
            return []
        keys = []
        for line in r.stdout.splitlines()[1:]:
            parts = line.split()
            if parts:
                keys.append(parts[0])
        # leaves first: keys that are nobody's parent
        parents = {line.split()[1] for line in r.stdout.splitlines()[1:] if len(line.split()) >= 3}
        return [k for k in keys if k not in parents] or keys

    # --------------------------------------------------------------------------- use

    def ctr(
        self,
        *args: str,
        namespace: Optional[str] = "default",
        check: bool = True,
        timeout: Optional[float] = 120,
        input: Optional[str] = None,
    ) -> subprocess.CompletedProcess:
        """Run this series' ctr against this daemon (text mode, output captured).
        With check=True a non-zero exit raises CommandError showing stdout/stderr."""
        argv = [str(self.ctr_bin), "--address", self.address]
        if namespace is not None:
            argv += ["--namespace", namespace]
        argv += [str(a) for a in args]
        r = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            check=False,
        )
        if check and r.returncode != 0:
            from .util import CommandError

            raise CommandError(r)
        return r

    def log_tail(self, n: int = 40) -> str:
        return tail_file(self.log_path, n)

    def signal(self, sig: int = signal.SIGHUP) -> None:
        if self.proc is not None:
            self.proc.send_signal(sig)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ContainerdDaemon {self.version} {state} {self.address}>"
