"""Fixtures for the network tests: a network namespace of the test's own that stands in
for the host (plugins run there through ``CniPaths.host_netns``), and CNI state under a
temporary directory."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.paths import CniPaths
from harness.netns import TestNetns


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
        host_netns=host_netns.path,
    )
