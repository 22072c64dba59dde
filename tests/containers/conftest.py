"""Fixtures for the container tests: a namespace with busybox images imported by ctr, a
Connection, private log/volume roots, and a factory that removes what it made."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
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
from harness.images import DEFAULT_PATH, ImageConfig, busybox_image, write_oci_archive

BUSYBOX = "example.test/ocirt/busybox:1"
#: An image whose config sets User, WorkingDir and Env (and an Entrypoint).
CONFIGURED = "example.test/ocirt/configured:1"


@pytest.fixture(scope="session")
def image_archives(tmp_path_factory: pytest.TempPathFactory) -> List[Path]:
    d = tmp_path_factory.mktemp("container-images")
    configured = busybox_image(
        config=ImageConfig(
            entrypoint=["sh", "-c"],
            cmd=["sleep 3600"],
            env=[DEFAULT_PATH, "OCIRT_IMAGE=configured", "GREETING=from-image"],
            user="app",
            workdir="/home/app",
            stop_signal="SIGINT",
        )
    )
    return [
        write_oci_archive(busybox_image(), d / "busybox.tar", ref_name=BUSYBOX),
        write_oci_archive(configured, d / "configured.tar", ref_name=CONFIGURED),
    ]


@pytest.fixture
def conn(containerd, containerd_namespace, image_archives) -> Iterator[Connection]:
    for archive in image_archives:
        containerd.ctr("images", "import", str(archive), namespace=containerd_namespace)
    with Connection(containerd.address, namespace=containerd_namespace) as c:
        yield c


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(log_root=str(tmp_path / "logs"), volume_root=str(tmp_path / "volumes"))


@pytest.fixture
def make(conn, paths, containerd) -> Iterator[Callable[..., Dict[str, Any]]]:
    """make(name=None, start=True, **options) -> create_container's result (+ 'start')."""
    made: List[str] = []

    def _make(name: str = "", start: bool = True, **options: Any) -> Dict[str, Any]:
        cid = name or f"c-{secrets.token_hex(4)}"
        options.setdefault("image", BUSYBOX)
        opts = ContainerOptions.from_dict(options)
        made.append(cid)
        result = create_container(conn, cid, opts, paths=paths, daemon_version=containerd.version)
        if start:
            result["start"] = lifecycle.start(conn, cid)
        return result

    yield _make
    for cid in reversed(made):
        try:
            lifecycle.remove(conn, cid, force=True)
        except Exception:  # the namespace cleanup of the harness is the backstop
            pass
