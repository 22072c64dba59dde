"""The four tools of bench/peers.py, each with daemons and storage of its own under one tmp dir.

- ocirt and ctr share one private containerd (the harness's, Debian 12's 1.6 unless told),
  one namespace for containers, a fresh namespace per pull or import (emptied after, so each
  is cold).
- docker: Debian's docker.io; a dockerd started here with its own --data-root, --exec-root,
  --pidfile, unix socket and config file, on a private containerd of its own (never the
  machine's docker or containerd), no bridge and no iptables rules.
- podman: Debian's 4.3 with its own --root and --runroot, and its own storage.conf,
  containers.conf and registries.conf (named by CONTAINERS_* variables, which conmon's
  cleanup processes and containers.podman's module inherit).

Every container runs with no network (`--network none`; ctr's default), so the figures
compare the runtimes, not bridges and port forwarding.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.daemon import ContainerdDaemon  # noqa: E402
from harness.util import kill_tree, proc_cmdlines, unmount_all_under  # noqa: E402

DOCKER_BIN = "/usr/bin/docker"  # docker.io's client (not whatever else is on PATH)
DOCKERD_BIN = "/usr/sbin/dockerd"
PODMAN_BIN = "/usr/bin/podman"
DEBIAN_PACKAGES = {DOCKERD_BIN: "docker.io", PODMAN_BIN: "podman"}
#: What dockerd writes outside its roots whatever it is told (removed after if it made them).
DOCKERD_LEFTOVERS = ("/etc/docker/key.json", "/run/docker/plugins", "/run/docker")
PODMAN_LEFTOVERS = ("/var/lib/containers", "/dev/shm/libpod_lock")
CGROUP_ROOT = Path("/sys/fs/cgroup")
NAMESPACE = "peers"
SLEEP = ["sleep", "3600"]
Argv = List[str]


def timed(argv: Argv, env: Dict[str, str]) -> float:
    """Wall time of one command, which must succeed (its output is shown if it does not)."""
    start = time.perf_counter()
    r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if r.returncode in (130, -signal.SIGINT):  # Ctrl-C reached the command first
        raise KeyboardInterrupt
    if r.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout.decode()[-2000:]}"
            f"\n{r.stderr.decode()[-2000:]}"
        )
    return seconds


def quiet(argv: Argv, env: Dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """A set-up or clean-up command whose failure is not a result (best effort)."""
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def ensure_packages() -> None:
    """Install Debian's docker.io and podman when missing (their services are not started:
    the benchmark starts its own dockerd, and podman has no daemon)."""
    missing = [pkg for path, pkg in DEBIAN_PACKAGES.items() if not os.path.exists(path)]
    if missing:
        print(f"installing Debian's {' '.join(missing)} ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip


def in_parallel(fn: Callable[[str], object], names: List[str], workers: int = 4) -> None:
    """Run fn on every name with a few workers (creating 200 containers one by one is slow)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(fn, names))


class Engine:
    """One tool: how it starts, lists, execs, pulls and imports. Times come from timed()."""

    name = ""
    env: Dict[str, str]

    def cli(self, *args: str) -> Argv:
        raise NotImplementedError

    def run_argv(self, name: str, image: str) -> Argv:
        return self.cli("run", "-d", "--network", "none", "--name", name, image, *SLEEP)

    def exec_argv(self, name: str) -> Argv:
        return self.cli("exec", name, "true")

    def ps_argvs(self) -> List[Argv]:
        return [self.cli("ps", "-a")]

    def start(self, name: str, image: str) -> float:
        return timed(self.run_argv(name, image), self.env)

    def remove(self, names: List[str]) -> None:
        for i in range(0, len(names), 50):
            quiet(self.cli("rm", "-f", *names[i : i + 50]), self.env, timeout=300)

    def list_all(self) -> float:
        return sum(timed(argv, self.env) for argv in self.ps_argvs())

    def prepare_image(self, ref: str) -> None:
        """Have ref present for the start, exec and listing rounds."""
        timed(self.cli("pull", ref), self.env)

    def pull(self, ref: str, round_: int) -> float:
        """A cold pull of ref; everything it brought is removed afterwards."""
        raise NotImplementedError

    def load(self, archive: Path, ref: str, round_: int) -> float:
        """An import of a docker-save archive naming ref; removed afterwards."""
        raise NotImplementedError

    def close(self) -> None:
        """Tear down what this engine started (its containers, daemons, storage)."""


class ContainerdEngine(Engine):
    """ocirt or ctr on the shared private containerd."""

    def __init__(self, name: str, daemon: ContainerdDaemon, tmp: Path):
        self.name = name
        self.daemon = daemon
        self.ocirt = str(Path(sys.executable).parent / "ocirt")
        self.env = dict(
            daemon.env(),
            CONTAINERD_ADDRESS=daemon.address,
            CONTAINERD_NAMESPACE=NAMESPACE,
            OCIRT_CNI_ROOT=str(tmp / "ocirt-cni"),
        )

    def cli(self, *args: str, namespace: str = NAMESPACE) -> Argv:
        if self.name == "ocirt":
            return [self.ocirt, *args]
        return [str(self.daemon.ctr_bin), "--address", self.daemon.address, "-n", namespace, *args]

    def _in(self, namespace: str) -> Dict[str, str]:
        return dict(self.env, CONTAINERD_NAMESPACE=namespace)

    def run_argv(self, name: str, image: str) -> Argv:
        if self.name == "ocirt":
            return super().run_argv(name, image)
        return self.cli("run", "-d", image, name, *SLEEP)

    def exec_argv(self, name: str) -> Argv:
        if self.name == "ocirt":
            return super().exec_argv(name)
        return self.cli("tasks", "exec", "--exec-id", f"x{time.monotonic_ns()}", name, "true")

    def ps_argvs(self) -> List[Argv]:
        if self.name == "ocirt":
            return super().ps_argvs()
        return [self.cli("containers", "ls"), self.cli("tasks", "ls")]

    def remove(self, names: List[str]) -> None:
        if self.name == "ocirt":
            super().remove(names)
            return
        for name in names:
            self.daemon.ctr("tasks", "rm", "-f", name, namespace=NAMESPACE, check=False)
        for i in range(0, len(names), 50):
            self.daemon.ctr(
                "containers", "rm", *names[i : i + 50], namespace=NAMESPACE, check=False
            )

    def prepare_image(self, ref: str) -> None:
        self.daemon.ctr("images", "pull", "--plain-http", ref, namespace=NAMESPACE)

    def pull(self, ref: str, round_: int) -> float:
        ns = f"pull-{self.name}-{round_}"
        if self.name == "ocirt":
            argv = [self.ocirt, "pull", "-q", "--hosts-dir", "/nonexistent", ref]
        else:
            argv = self.cli("images", "pull", "--plain-http", ref, namespace=ns)
        try:
            return timed(argv, self._in(ns))
        finally:
            self.daemon.cleanup_namespace(ns)

    def load(self, archive: Path, ref: str, round_: int) -> float:
        ns = f"import-{self.name}-{round_}"
        if self.name == "ocirt":
            argv = [self.ocirt, "image", "import", str(archive)]
        else:
            argv = self.cli("images", "import", str(archive), namespace=ns)
        try:
            return timed(argv, self._in(ns))
        finally:
            self.daemon.cleanup_namespace(ns)


class DockerCliEngine(Engine):
    """docker and podman: the same verbs for images (`rmi -f` makes the next pull cold)."""

    def _forget(self, ref: str) -> None:
        quiet(self.cli("rmi", "-f", ref), self.env)

    def pull(self, ref: str, round_: int) -> float:
        try:
            return timed(self.cli("pull", "-q", ref), self.env)
        finally:
            self._forget(ref)

    def load(self, archive: Path, ref: str, round_: int) -> float:
        try:
            return timed(self.cli("load", "-q", "-i", str(archive)), self.env)
        finally:
            self._forget(ref)


class DockerEngine(DockerCliEngine):
    """docker.io's client against a dockerd of the benchmark's own."""

    name = "docker"

    def __init__(self, tmp: Path, registry_host: str, series: str):
        self.dir = tmp / "docker"
        self.dir.mkdir()
        self.socket = self.dir / "docker.sock"
        self.containerd = ContainerdDaemon(series, log_level="info", tmp_parent=str(tmp))
        self.proc: Optional[subprocess.Popen] = None
        self.cgroup_parent = f"peers-docker-{os.getpid()}"
        self.leftovers = [p for p in DOCKERD_LEFTOVERS if not os.path.lexists(p)]
        self.env = dict(os.environ, DOCKER_CONFIG=str(self.dir / "client"))
        self.env.pop("DOCKER_HOST", None)
        (self.dir / "daemon.json").write_text(
            json.dumps({"insecure-registries": [registry_host], "features": {"buildkit": False}})
        )
        self.containerd.start()
        try:
            self._start_dockerd()
        except BaseException:
            self.close()
            raise

    def _start_dockerd(self, timeout: float = 60) -> None:
        argv = [
            DOCKERD_BIN,
            f"--config-file={self.dir / 'daemon.json'}",
            f"--data-root={self.dir / 'data'}",
            f"--exec-root={self.dir / 'exec'}",
            f"--pidfile={self.dir / 'dockerd.pid'}",
            f"--host=unix://{self.socket}",
            f"--containerd={self.containerd.address}",
            "--containerd-namespace=peers-moby",
            "--containerd-plugins-namespace=peers-moby-plugins",
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
            "--storage-driver=overlay2",
            f"--cgroup-parent=/{self.cgroup_parent}",
        ]  # fmt: skip
        with open(self.dir / "dockerd.log", "ab") as log:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.containerd.env(), start_new_session=True, cwd=str(self.dir),
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while quiet(self.cli("version"), self.env).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log_text = (self.dir / "dockerd.log").read_text()[-3000:]
                raise RuntimeError(f"dockerd did not start:\n{log_text}")
            time.sleep(0.1)

    def cli(self, *args: str) -> Argv:
        return [DOCKER_BIN, "-H", f"unix://{self.socket}", *args]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            ids = quiet(self.cli("ps", "-aq"), self.env).stdout.split()
            if ids:
                self.remove(ids)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_tree(self.proc.pid)
                self.proc.wait(timeout=10)
        self.containerd.stop()
        unmount_all_under(str(self.dir))
        shutil.rmtree(self.dir, ignore_errors=True)
        for path in self.leftovers:
            with contextlib.suppress(OSError):
                os.rmdir(path) if os.path.isdir(path) else os.unlink(path)
        for d in CGROUP_ROOT.glob(f"*/{self.cgroup_parent}"):
            with contextlib.suppress(OSError):
                d.rmdir()


class PodmanEngine(DockerCliEngine):
    """Debian's podman with root, runroot and configuration under the tmp dir."""

    name = "podman"

    def __init__(self, tmp: Path, registry_host: str):
        self.dir = tmp / "podman"
        self.root, self.runroot = self.dir / "root", self.dir / "run"
        for d in (self.root, self.runroot, self.dir / "tmp", self.dir / "net"):
            d.mkdir(parents=True)
        # what podman writes outside its roots whatever it is told (removed after if it made them)
        self.leftovers = [p for p in PODMAN_LEFTOVERS if not os.path.lexists(p)]
        self.had_cgroup_parent = any(CGROUP_ROOT.glob("*/libpod_parent"))
        self.env = dict(os.environ, **self._write_config(registry_host))

    def _write_config(self, registry_host: str) -> Dict[str, str]:
        storage, containers, registries = (
            self.dir / n for n in ("storage.conf", "containers.conf", "registries.conf")
        )
        storage.write_text(
            f'[storage]\ndriver = "overlay"\ngraphroot = "{self.root}"\n'
            f'runroot = "{self.runroot}"\n'
        )
        containers.write_text(
            # podman raises the containers' limits (nofile 1048576), which needs
            # CAP_SYS_RESOURCE that a machine in a container may lack: containerd's default
            # (nofile 1024) and a process limit below the one podman gives conmon (32768)
            "[containers]\n"
            'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n'
            "[engine]\n"
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "file"\n'
            f'tmp_dir = "{self.dir / "tmp"}"\n'
            'runtime = "runc"\n'
            "[network]\n"
            'network_backend = "cni"\n'
            f'network_config_dir = "{self.dir / "net"}"\n'
            'cni_plugin_dirs = ["/usr/lib/cni"]\n'
        )
        registries.write_text(
            f'unqualified-search-registries = []\n[[registry]]\nlocation = "{registry_host}"\n'
            "insecure = true\n"
        )
        return {
            "CONTAINERS_STORAGE_CONF": str(storage),
            "CONTAINERS_CONF": str(containers),
            "CONTAINERS_REGISTRIES_CONF": str(registries),
        }

    def cli(self, *args: str) -> Argv:
        return [PODMAN_BIN, "--root", str(self.root), "--runroot", str(self.runroot), *args]

    def remove(self, names: List[str]) -> None:
        for i in range(0, len(names), 50):
            quiet(self.cli("rm", "-f", "-t", "0", *names[i : i + 50]), self.env, timeout=300)

    def close(self) -> None:
        quiet(self.cli("rm", "-a", "-f", "-t", "0"), self.env, timeout=300)
        for pid, argv in proc_cmdlines():  # conmon of a container podman could not remove
            if any(str(self.dir) in a for a in argv):
                kill_tree(pid)
        unmount_all_under(str(self.dir))
        shutil.rmtree(self.dir, ignore_errors=True)
        for path in self.leftovers:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            with contextlib.suppress(OSError):
                os.unlink(path)
        if not self.had_cgroup_parent:
            for d in CGROUP_ROOT.glob("*/libpod_parent"):
                for sub in (d / "conmon", d):
                    with contextlib.suppress(OSError):
                        sub.rmdir()
