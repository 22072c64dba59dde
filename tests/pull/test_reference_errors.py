"""Errors about references and registries name what was really used (issue 16, defect 8)."""

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    resolve_remote,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.registry.client import (
    ImageNotFound,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.registry.reference import (
    parse_reference,
)

PLAIN = RegistryAccess(config_path=None)  # loopback: HTTPS tried first, then plain HTTP


def test_not_found_names_the_url_that_answered(pushed):
    """The loopback registry is reached over http after the TLS handshake fails: the error
    must say http://, not the https:// URL that never answered."""
    host = pushed["registry"].host
    with pytest.raises(ImageNotFound) as caught:
        resolve_remote(f"{host}/ocirt/busybox:no-such-tag", PLAIN)
    message = str(caught.value)
    assert f"asked http://{host}" in message
    assert "https://" not in message


@pytest.mark.parametrize(
    "digest",
    ["sha256:abc", "sha256:" + "A" * 64, "sha256:" + "a" * 63, "md5:" + "a" * 32, "sha512:ab"],
)
def test_malformed_digest_is_refused_locally(pushed, digest):
    """Refused before any request: the registry's log never sees the reference."""
    registry = pushed["registry"]
    reference = f"{registry.host}/ocirt/busybox@{digest}"
    with pytest.raises(InvalidInput) as caught:
        resolve_remote(reference, PLAIN)
    message = str(caught.value)
    assert reference in message
    assert "sha256: followed by 64 lowercase hex digits" in message
    assert digest not in registry.log_tail(200)


def test_well_formed_digests_parse():
    hexes = {"sha256": 64, "sha384": 96, "sha512": 128}
    for algorithm, length in hexes.items():
        ref = parse_reference(f"example.test/app:1@{algorithm}:{'0' * length}")
        assert ref.digest == f"{algorithm}:{'0' * length}" and ref.tag == "1"
