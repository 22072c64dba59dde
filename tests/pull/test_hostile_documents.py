"""A registry serving a document of the wrong shape: the pull is refused as InvalidInput
naming the document and the field, and nothing is recorded (no image, no lease left).

The documents are served by the real registry. It refuses a manifest or index whose declared
fields have the wrong JSON type at push time (MANIFEST_INVALID: it decodes them into Go
structs), so the hostile document a registry really serves is the image config, which it
stores as an opaque blob; the shape checks of manifests and indexes are covered on archives by
tests/fuzz/test_archive_documents_fuzz.py, through the same functions (images/documents.py).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import content, images, leases
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
)
from harness.images import Blob, BuiltImage, canonical_json, registry_client, unique_image

PLAIN = RegistryAccess(config_path=None)


def _with_config(built: BuiltImage, change: Callable[[Dict[str, Any]], None]) -> BuiltImage:
    """``built`` with its config changed by ``change`` and the manifest pointing at it."""
    config_doc = json.loads(built.config.data)
    change(config_doc)
    config = Blob(built.config.media_type, canonical_json(config_doc))
    manifest_doc = json.loads(built.manifest.data)
    manifest_doc["config"] = config.descriptor()
    manifest = Blob(built.manifest.media_type, canonical_json(manifest_doc))
    return BuiltImage(
        manifest, config, built.layers, built.layer_tars, built.diff_ids, built.platform
    )


CASES = {
    "diff_ids-number": (
        lambda c: c["rootfs"].__setitem__("diff_ids", 5),
        "rootfs.diff_ids is a number, not an array of strings",
    ),
    "architecture-array": (
        lambda c: c.__setitem__("architecture", [c["architecture"]]),
        "architecture is an array, not a string",
    ),
    "rootfs-string": (
        lambda c: c.__setitem__("rootfs", "layers"),
        "rootfs is a string, not an object",
    ),
}


@pytest.mark.containerd_series("1.6", "2.1")  # the refusal is ocirt's; two series show the
# lease is dropped cleanly on the old and the new content store
@pytest.mark.parametrize("case", sorted(CASES))
def test_config_of_the_wrong_shape_is_refused_and_nothing_recorded(
    conn, registry_http, case: str
) -> None:
    change, message = CASES[case]
    built = _with_config(unique_image(case).build(), change)
    registry_client(registry_http).push_image("ocirt/hostile", built, case)
    ref = f"{registry_http.host}/ocirt/hostile:{case}"

    with pytest.raises(InvalidInput) as refused:
        pull_image(conn, ref, PLAIN)

    assert str(refused.value) == f"image config {built.config.digest}: {message}"
    assert images.get_image(conn, ref) is None
    assert leases.list_leases(conn) == []
    for blob in (built.config, built.layers[-1]):  # the image's own blobs: nothing written
        assert content.content_info(conn, blob.digest) is None, blob.digest
