"""Fixtures for the image tests."""

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)


@pytest.fixture
def conn(containerd, containerd_namespace):
    with Connection(containerd.address, namespace=containerd_namespace) as c:
        yield c
