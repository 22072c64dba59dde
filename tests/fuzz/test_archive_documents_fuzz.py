"""Document-wise mutations of real archives for the archive check: a JSON value of
index.json, manifest.json or a blob replaced (or deleted), then every digest and size that
refers to a changed blob fixed, so the mutation reaches the checks behind the digests.
Only InvalidInput may come out (images/documents.py checks each document's shape), never a
TypeError or AttributeError. The cases that did (issue 16, F2) are kept as fixed examples.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Dict, List, Optional, Tuple

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    read_archive,
)
from hypothesis import given
from hypothesis import strategies as st

from .budget import BOUNDED, FUZZ
from .test_archive_fuzz import ARCHIVES, Members, _assert_clean, _members, _pack, _write

_BLOB = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(["sha256:" + "0" * 64, "application/vnd.oci.image.index.v1+json"]),
    ),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text(max_size=10), c, max_size=3)
    ),
    max_leaves=8,
)
_DELETE = object()


def _replace_at(doc: Any, steps: List[int], value: Any) -> Any:
    """doc with the node reached by ``steps`` (indexes into keys or items) replaced."""
    if not steps or not isinstance(doc, (dict, list)) or not doc:
        return None if value is _DELETE else value
    if isinstance(doc, dict):
        key = sorted(doc)[steps[0] % len(doc)]
        if value is _DELETE and len(steps) == 1:
            return {k: v for k, v in doc.items() if k != key}
        return {**doc, key: _replace_at(doc[key], steps[1:], value)}
    i = steps[0] % len(doc)
    return [*doc[:i], _replace_at(doc[i], steps[1:], value), *doc[i + 1 :]]


def _refresh_digests(members: Members) -> None:
    """Rename changed blobs to their new digest and fix every descriptor naming them."""
    for _ in range(4):  # manifest -> index: a chain is a few levels deep at most
        moved: Dict[str, Tuple[str, int]] = {}
        for info, data in members:
            m = _BLOB.match(info.name)
            if m and data is not None and _sha(data) != "sha256:" + m.group(1):
                moved["sha256:" + m.group(1)] = (_sha(data), len(data))
                info.name = "blobs/sha256/" + _sha(data).split(":", 1)[1]
        if not moved:
            return
        for n, (info, data) in enumerate(members):
            doc = _json_of(data)
            if doc is not None and _redirect(doc, moved):
                members[n] = (info, json.dumps(doc).encode())


def _redirect(doc: Any, moved: Dict[str, Tuple[str, int]]) -> bool:
    changed = False
    if isinstance(doc, dict):
        digest = doc.get("digest")
        if isinstance(digest, str) and digest in moved:
            doc["digest"], doc["size"] = moved[digest]
            changed = True
    for child in doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else []:
        changed = _redirect(child, moved) or changed
    return changed


def _json_of(data: Optional[bytes]) -> Any:
    try:
        return json.loads(data) if data and data[:1] in (b"{", b"[") else None
    except ValueError:
        return None


def _mutate_document(members: Members, which: int, steps: List[int], value: Any) -> Members:
    docs = [n for n, (_, data) in enumerate(members) if _json_of(data) is not None]
    n = docs[which % len(docs)]
    info, data = members[n]
    members[n] = (info, json.dumps(_replace_at(_json_of(data), steps, value)).encode())
    _refresh_digests(members)
    return members


@BOUNDED
@FUZZ
@given(
    which=st.sampled_from(sorted(ARCHIVES)),
    doc=st.integers(min_value=0),
    steps=st.lists(st.integers(min_value=0, max_value=50), max_size=5),
    value=st.one_of(JSON, st.just(_DELETE)),
    compress=st.booleans(),
)
def test_document_mutations_of_real_archives(
    which: str, doc: int, steps: List[int], value: Any, compress: bool
) -> None:
    members = _mutate_document(_members(ARCHIVES[which]), doc, steps, value)
    _assert_clean(_pack(members), compress)


def _kind(name: str, doc: Any) -> str:
    if not name.startswith("blobs/") or not isinstance(doc, dict):
        return name
    if "manifests" in doc:
        return "index blob"
    return "config" if "rootfs" in doc else "manifest"


def _edit(archive: str, kind: str, change: Any) -> bytes:
    """The archive with ``change`` applied to its first document of ``kind``, digests fixed."""
    members = _members(ARCHIVES[archive])
    n = next(n for n, (i, d) in enumerate(members) if _kind(i.name, _json_of(d)) == kind)
    doc = _json_of(members[n][1])
    change(doc)
    members[n] = (members[n][0], json.dumps(doc).encode())
    _refresh_digests(members)
    return _pack(members)


def _set(path: str, value: Any) -> Any:
    """A change setting the value at ``path`` ("manifests.0.digest") to ``value``."""

    def change(doc: Any) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for step in parents:
            doc = doc[step]
        doc[last] = value

    return change


# (archive, document, change, what the error names): the cases of FINDINGS.md F2
F2_CASES = [
    ("oci", "index.json", _set("manifests.0.digest", []), "manifests[0].digest is an array"),
    ("oci", "index.json", _set("manifests.0.annotations", [1]), "manifests[0].annotations is"),
    ("index", "index blob", _set("manifests", 3), "manifests is a number"),
    ("index", "index blob", _set("manifests.0.platform", "linux"), "manifests[0].platform is"),
    ("index", "index blob", _set("manifests.0.platform.os", [1]), "manifests[0].platform.os"),
    ("oci", "manifest", _set("layers", True), "layers is a boolean"),
    ("oci", "manifest", _set("layers", [[1]]), "layers[0] is an array"),
    ("oci", "config", _set("rootfs.diff_ids", 5), "rootfs.diff_ids is a number"),
    ("docker", "manifest.json", _set("0.Layers", 1.5), "[0].Layers is a number"),
    ("docker", "manifest.json", _set("0.RepoTags", True), "[0].RepoTags is a boolean"),
]


@pytest.mark.parametrize("archive, kind, change, names", F2_CASES)
def test_documents_of_the_wrong_shape_are_named(
    archive: str, kind: str, change: Any, names: str, tmp_path: Any
) -> None:
    path = _write(_edit(archive, kind, change), False, str(tmp_path))
    with pytest.raises(InvalidInput, match=re.escape(names)):
        read_archive(path)
