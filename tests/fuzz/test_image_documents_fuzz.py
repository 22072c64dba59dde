"""The documents a registry serves (index, manifest, image config), mutated one JSON value
at a time, through the shape checks of images/documents.py: each is refused as InvalidInput,
or what the pull does with it next runs without error: the platform choice, the children and
GC labels it writes, the descriptors it sends to containerd (encoded with the wire codec) and
the chain IDs it unpacks to. So a hostile registry gets a clear refusal, never a TypeError
half-way through a pull. (Archives: test_archive_documents_fuzz.py.)"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ansible_collections.ocirt.containerd.plugins.module_utils.api.types import DESCRIPTOR
from ansible_collections.ocirt.containerd.plugins.module_utils.common import media_types as mt
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images import documents
from ansible_collections.ocirt.containerd.plugins.module_utils.images.graph import (
    chain_ids,
    config_platform,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.platforms import (
    format_platform,
    host_platform,
    select_manifests,
)
from harness.images import busybox_index
from hypothesis import given
from hypothesis import strategies as st

from .budget import BOUNDED, FUZZ
from .test_archive_documents_fuzz import _DELETE, JSON, _replace_at

_BUILT = busybox_index().build()
BASES = {
    "index": json.loads(_BUILT.index.data),
    "manifest": json.loads(_BUILT.images[0].manifest.data),
    "config": json.loads(_BUILT.images[0].config.data),
}
PARSE = {
    "index": documents.parse_index,
    "manifest": documents.parse_manifest,
    "config": documents.parse_config,
}


def _send(descriptors: List[Dict[str, Any]]) -> None:
    for d in descriptors:
        DESCRIPTOR.encode(mt.to_api(d))


def _use_index(index: Dict[str, Any]) -> None:
    entries = [m for m in index["manifests"] if mt.is_manifest(m["mediaType"])]
    [format_platform(m["platform"]) for m in entries if m.get("platform")]
    select_manifests(entries, host_platform())
    kids = mt.children(mt.OCI_INDEX, index)
    _send(kids)
    DESCRIPTOR.encode({"digest": "d", "annotations": mt.gc_labels(mt.OCI_INDEX, kids)})


def _use_manifest(manifest: Dict[str, Any]) -> None:
    media = manifest.get("mediaType") or mt.OCI_MANIFEST
    if not mt.is_manifest(media):
        return  # refused by ingest with its own InvalidInput
    kids = mt.children(media, manifest)
    _send(kids)
    DESCRIPTOR.encode({"digest": "d", "annotations": mt.gc_labels(media, kids)})


def _use_config(config: Dict[str, Any]) -> None:
    config_platform(config)
    chain_ids((config.get("rootfs") or {}).get("diff_ids") or [])


USE = {"index": _use_index, "manifest": _use_manifest, "config": _use_config}


@BOUNDED
@FUZZ
@given(
    kind=st.sampled_from(sorted(BASES)),
    edits=st.lists(
        st.tuples(
            st.lists(st.integers(min_value=0, max_value=50), max_size=5),
            st.one_of(JSON, st.just(_DELETE)),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_registry_documents_refused_or_usable(kind: str, edits: List[Any]) -> None:
    doc = BASES[kind]
    for steps, value in edits:
        doc = _replace_at(doc, steps, value)
    try:
        checked = PARSE[kind](json.dumps(doc).encode(), f"{kind} sha256:fuzz")
    except InvalidInput as exc:
        assert str(exc).startswith(f"{kind} sha256:fuzz")
        return
    USE[kind](checked)
