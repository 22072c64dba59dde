"""Images pushed once per session to the registries the pull tests read from."""

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.images import busybox_image, busybox_index, push
from harness.registry import Registry
from harness.token_server import TokenServer


@pytest.fixture(scope="session")
def pushed(registry_http):
    """The plain-HTTP registry with ocirt/busybox:1 and the multi-platform ocirt/multi:1."""
    return {
        "registry": registry_http,
        "busybox": push(registry_http, "ocirt/busybox", "1", busybox_image()),
        "multi": push(registry_http, "ocirt/multi", "1", busybox_index()),
    }


@pytest.fixture
def conn(containerd, containerd_namespace):
    with Connection(containerd.address, namespace=containerd_namespace) as c:
        yield c


@pytest.fixture(scope="session")
def token_registry(registry_http, tmp_path_factory):
    """A registry with bearer-token auth serving registry_http's storage."""
    tokens = TokenServer(tmp_path_factory.mktemp("tokens")).start()
    reg = Registry(token_server=tokens, storage_dir=registry_http.storage_dir).start()
    yield reg, tokens
    reg.stop()
    tokens.stop()
