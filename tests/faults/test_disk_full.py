"""Disk full and read-only file systems: a pull into a containerd whose root is a small
tmpfs, and config writes to a full and to a read-only file system.

A pull that does not fit must fail saying there is no space, and leave nothing partial: no
image record, no lease, no active ingest or ingest file, no blob or snapshot (the lease
dropped at the failure lets containerd's GC take the partial ingests: they are gone, not
kept for a resume), and the space is given back, so a small image pulls right after.
A config write that cannot be done must fail with an error naming the file and the reason
(never a traceback, also through the Ansible modules), with the old file byte-identical and
no temporary or backup file left.
"""

from __future__ import annotations

import errno
import os
import secrets
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    config as config_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.config import (
    DesiredConfig,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from cli.test_ocirt_cli import ocirt
from harness.ansible_runner import run_module
from harness.daemon import ContainerdDaemon, running
from harness.images import push, unique_image
from harness.util import wait_for

ROOT_SIZE = "8m"  # containerd's whole root: metadata, content store and snapshots
BIG_LAYER = 12 * 1024 * 1024  # random bytes, so the layer is as big: it cannot fit
BOUND = 120  # seconds anything here may take at most; the machine is shared
OLD_CONFIG = b"# the file as it was\nversion = 2\n\n[debug]\n  level = 'info'\n"


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "ocirt-test", str(path)],
        check=True,
        timeout=30,
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=30)


def fill(directory: Path) -> None:
    """Write a filler file until the file system of ``directory`` has no page left."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1024 * 1024, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


# -- a pull into a containerd root that is too small ------------------------------------------


@pytest.fixture(scope="module")
def cramped(containerd) -> Iterator[ContainerdDaemon]:
    """A containerd of the series whose root is a tmpfs of ROOT_SIZE."""
    daemon = ContainerdDaemon(containerd.series)
    with tmpfs(daemon.root, ROOT_SIZE), running(daemon):
        yield daemon


@pytest.fixture(scope="module")
def images_to_pull(registry_http):
    big, small = unique_image("diskfull", size=BIG_LAYER), unique_image("fits", size=1000)
    push(registry_http, "ocirt/diskfull", "1", big)
    push(registry_http, "ocirt/fits", "1", small)
    return {
        "big": f"{registry_http.host}/ocirt/diskfull:1",
        "small": f"{registry_http.host}/ocirt/fits:1",
    }


def lines(daemon: ContainerdDaemon, ns: str, *args: str) -> list:
    return daemon.ctr(*args, namespace=ns).stdout.splitlines()[1:]


def nothing_partial(daemon: ContainerdDaemon, ns: str) -> None:
    """No image, lease, ingest, blob or snapshot; GC is asynchronous: waited for, bounded."""
    assert lines(daemon, ns, "images", "ls") == []
    assert lines(daemon, ns, "leases", "ls") == []
    ingest = daemon.root / "io.containerd.content.v1.content" / "ingest"
    wait_for(
        lambda: (
            not lines(daemon, ns, "content", "active")
            and not lines(daemon, ns, "content", "ls")
            and not lines(daemon, ns, "snapshots", "ls")
            and not (ingest.is_dir() and os.listdir(ingest))
        ),
        timeout=BOUND,
        interval=0.5,
        what="garbage collection of what the failed pull wrote",
    )


def small_pull_fits(daemon: ContainerdDaemon, ns: str, ref: str) -> None:
    """The space is back: a small image pulls, complete and unpacked."""
    with Connection(daemon.address, namespace=ns) as conn:
        pull_image(conn, ref, RegistryAccess(config_path=None))
    line = next(x for x in lines(daemon, ns, "images", "check") if x.startswith(ref))
    assert "complete" in line and line.split()[-1] == "true", line


# two series: both content-store generations; the client side is the same code everywhere
@pytest.mark.containerd_series("1.6", "2.1")
def test_pull_that_does_not_fit_fails_clearly_and_leaves_nothing(cramped, images_to_pull):
    ns = f"diskfull-{secrets.token_hex(3)}"
    with Connection(cramped.address, namespace=ns) as conn:
        with pytest.raises(OcirtError) as failure:
            pull_image(conn, images_to_pull["big"], RegistryAccess(config_path=None))
    message = str(failure.value)
    # says why, and where: the file under containerd's root the write was refused for
    assert message.count("containerd has no space left on its disk") == 1, message
    assert "no space left on device" in message and str(cramped.root) in message, message
    nothing_partial(cramped, ns)
    small_pull_fits(cramped, ns, images_to_pull["small"])


@pytest.mark.containerd_series("1.6", "2.1")
def test_cli_pull_that_does_not_fit_ends_with_one_clear_line(cramped, images_to_pull):
    ns = f"diskfull-{secrets.token_hex(3)}"
    env = {"CONTAINERD_ADDRESS": cramped.address, "CONTAINERD_NAMESPACE": ns}
    run = ocirt("pull", "--hosts-dir", "/nonexistent", images_to_pull["big"], env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ocirt: ") and "containerd has no space left on its disk" in last
    nothing_partial(cramped, ns)


# -- config writes to a full and to a read-only file system -----------------------------------


@pytest.fixture
def small_fs(tmp_path) -> Iterator[Path]:
    """A 1 MiB tmpfs holding config.toml as it was."""
    with tmpfs(tmp_path, "1m") as directory:
        (directory / "config.toml").write_bytes(OLD_CONFIG)
        yield directory


def desired(directory: Path, backup: bool = False) -> DesiredConfig:
    return DesiredConfig(
        path=str(directory / "config.toml"),
        options={"debug_level": "debug"},
        config_version=2,
        validate=False,
        backup=backup,
    )


def old_file_intact(directory: Path, *others: str) -> None:
    assert (directory / "config.toml").read_bytes() == OLD_CONFIG
    assert sorted(os.listdir(directory)) == sorted(["config.toml", *others])


@pytest.mark.parametrize("backup", [False, True])
def test_config_write_to_a_full_disk_fails_clearly(small_fs, backup):
    fill(small_fs)
    plan = config_reconciler.plan(desired(small_fs, backup))
    assert plan.changed
    with pytest.raises(OcirtError) as failure:
        config_reconciler.apply(plan)
    message = str(failure.value)
    assert str(small_fs / "config.toml") in message and "No space left on device" in message
    old_file_intact(small_fs, "filler")  # no temporary file, no half-written backup


def test_config_write_to_a_read_only_file_system_fails_clearly(small_fs):
    plan = config_reconciler.plan(desired(small_fs))
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True, timeout=30)
    with pytest.raises(OcirtError) as failure:
        config_reconciler.apply(plan)
    message = str(failure.value)
    assert str(small_fs / "config.toml") in message and "Read-only file system" in message
    old_file_intact(small_fs)


def test_modules_fail_clearly_on_a_full_or_read_only_file_system(small_fs, tmp_path_factory):
    fill(small_fs)
    config = run_module(
        "ocirt.containerd.config",
        path=str(small_fs / "config.toml"),
        config_version=2,
        validate=False,
        debug_level="debug",
    )
    assert config["failed"] is True and "MODULE FAILURE" not in config["msg"], config
    assert "No space left on device" in config["msg"] and "config.toml" in config["msg"]
    old_file_intact(small_fs, "filler")

    hosts_dir = tmp_path_factory.mktemp("certs.d")
    with tmpfs(hosts_dir, "1m"):
        host_dir = hosts_dir / "registry.test"
        host_dir.mkdir()
        (host_dir / "hosts.toml").write_bytes(b'server = "https://registry.test"\n')
        subprocess.run(["mount", "-o", "remount,ro", str(hosts_dir)], check=True, timeout=30)
        registry = run_module(
            "ocirt.containerd.registry",
            config_path=str(hosts_dir),
            host="registry.test",
            server="https://mirror.test",
        )
        assert registry["failed"] is True and "MODULE FAILURE" not in registry["msg"], registry
        assert "Read-only file system" in registry["msg"] and "hosts.toml" in registry["msg"]
        assert (host_dir / "hosts.toml").read_bytes() == b'server = "https://registry.test"\n'
