"""Fixtures for the network tests. Nothing here touches the machine's own network: CNI
plugins run inside a network namespace the test owns (``host_netns`` for library tests
without a daemon; ``containerd_netns.test_netns`` for tests with containers, where the
daemon runs too), and CNI state lives under a temporary directory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.paths import (
    NETNS_ENV,
    ROOT_ENV,
    CniPaths,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.create import (
    create_container,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.paths import Paths
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.images import busybox_image, write_oci_archive
from harness.netns import TestNetns

BUSYBOX = "example.test/ocirt/busybox:1"


@pytest.fixture
def host_netns() -> Iterator[TestNetns]:
    ns = TestNetns()
    yield ns
    ns.close()


@pytest.fixture
def cni_paths(tmp_path: Path, host_netns: TestNetns) -> CniPaths:
    return CniPaths(
        conf_dir=str(tmp_path / "networks"),
        cache_dir=str(tmp_path / "cache"),
        ipam_dir=str(tmp_path / "ipam"),
        netns_dir=str(tmp_path / "netns"),
        files_dir=str(tmp_path / "containers"),
        host_netns=host_netns.path,
    )


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("network-images")
    return write_oci_archive(busybox_image(), d / "busybox.tar", ref_name=BUSYBOX)


@pytest.fixture
def net_env(containerd_netns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CniPaths:
    """The environment that sends ocirt's CNI state under tmp and its plugins into the
    daemon's network namespace (for this process and the CLI and Ansible it starts)."""
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "cni"))
    monkeypatch.setenv(NETNS_ENV, containerd_netns.test_netns.path)
    return CniPaths.from_environment()


@pytest.fixture
def netconn(containerd_netns, busybox_archive, net_env) -> Iterator[Connection]:
    ns = f"ocirt-test-{secrets.token_hex(4)}"
    containerd_netns.ctr("images", "import", str(busybox_archive), namespace=ns)
    with Connection(containerd_netns.address, namespace=ns) as c:
        yield c
    containerd_netns.cleanup_namespace(ns)


@pytest.fixture
def run_container(netconn, containerd_netns, tmp_path) -> Iterator[Callable[..., str]]:
    """run_container(name, **options) -> name: created and started; removed afterwards."""
    made: List[str] = []
    paths = Paths(log_root=str(tmp_path / "logs"), volume_root=str(tmp_path / "volumes"))

    def _run(name: str, **options: Any) -> str:
        options.setdefault("image", BUSYBOX)
        opts = ContainerOptions.from_dict(options)
        made.append(name)
        create_container(netconn, name, opts, paths=paths, daemon_version=containerd_netns.version)
        lifecycle.start(netconn, name)
        return name

    yield _run
    for name in reversed(made):
        try:
            lifecycle.remove(netconn, name, force=True)
        except Exception:
            pass


def exec_in(containerd, conn: Connection, name: str, *argv: str) -> Dict[str, Any]:
    """Run argv in the container with ctr (the interop oracle): {'rc', 'out'}."""
    r = containerd.ctr(
        "tasks",
        "exec",
        "--exec-id",
        f"x{secrets.token_hex(3)}",
        name,
        *argv,
        namespace=conn.namespace,
        check=False,
        timeout=60,
    )
    return {"rc": r.returncode, "out": r.stdout + r.stderr}
