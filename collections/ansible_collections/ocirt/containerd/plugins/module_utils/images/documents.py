"""The JSON documents of an image graph (index, manifest, image config), shape-checked once.

Registries and archives are not trusted: a document that parses as JSON can still carry a
list where a descriptor belongs, or a number where a digest belongs. Everything that walks
the graph (archive checks, pulls, imports) parses through here, so the code after it may
rely on the types below, and a bad document is refused as InvalidInput naming the document
and the field (``index sha256:ab..: manifests[0].platform.os is an array, not a string``)
instead of failing later with a TypeError. Only the fields ocirt reads are checked, with the
types of the OCI image spec (descriptor.md, image-index.md, manifest.md, config.md); other
fields are left alone, as containerd's Go structs ignore what they do not declare.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping

from ..common import media_types as mt
from ..common.errors import InvalidInput

# OCI descriptor.md: algorithm ":" encoded; sha256 and sha512 are the registered algorithms.
_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
_MAX_SIZE = 2**63 - 1  # containerd's sizes are int64

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _refuse(what: str, field: str, value: Any, wanted: str) -> InvalidInput:
    return InvalidInput(f"{what}: {field} is {_kind(value)}, not {wanted}")


def _string(doc: Mapping[str, Any], key: str, what: str, field: str) -> None:
    if key in doc and not isinstance(doc[key], str):
        raise _refuse(what, field, doc[key], "a string")


def _strings(value: Any, what: str, field: str) -> None:
    """A list of strings (absent or null counts as empty)."""
    if value is None:
        return
    if not isinstance(value, list):
        raise _refuse(what, field, value, "an array of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _refuse(what, f"{field}[{i}]", item, "a string")


def _object(value: Any, what: str, field: str) -> Mapping[str, Any]:
    """An object (absent or null counts as empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _refuse(what, field, value, "an object")
    return value


def check_annotations(value: Any, what: str, field: str) -> None:
    for key, item in _object(value, what, field).items():
        if not isinstance(item, str):
            raise _refuse(what, f"{field}[{key!r}]", item, "a string")


def check_platform(value: Any, what: str, field: str) -> None:
    platform = _object(value, what, field)
    for key in ("os", "architecture", "variant", "os.version"):
        _string(platform, key, what, f"{field}.{key}")
    _strings(platform.get("os.features"), what, f"{field}.os.features")


def check_descriptor(value: Any, what: str, field: str) -> Dict[str, Any]:
    """A content descriptor: mediaType, a sha256/sha512 digest, an int64 size."""
    if not isinstance(value, dict):
        raise _refuse(what, field, value, "a descriptor (an object)")
    for key in ("mediaType", "digest", "size"):
        if key not in value:
            raise InvalidInput(f"{what}: {field} has no {key}")
    _string(value, "mediaType", what, f"{field}.mediaType")
    digest = value["digest"]
    if not isinstance(digest, str):
        raise _refuse(what, f"{field}.digest", digest, "a string")
    if not _DIGEST.match(digest):
        raise InvalidInput(
            f"{what}: {field}.digest {digest[:80]!r} is not a sha256 or sha512 digest"
        )
    size = value["size"]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_SIZE:
        raise InvalidInput(f"{what}: {field}.size {size!r} is not a size in bytes")
    check_annotations(value.get("annotations"), what, f"{field}.annotations")
    if "platform" in value:
        check_platform(value["platform"], what, f"{field}.platform")
    return value


def _descriptors(value: Any, what: str, field: str) -> List[Dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refuse(what, field, value, "an array of descriptors")
    return [check_descriptor(item, what, f"{field}[{i}]") for i, item in enumerate(value)]


def check_index(doc: Dict[str, Any], what: str) -> Dict[str, Any]:
    """An image index (or docker manifest list, or an OCI layout's index.json)."""
    _string(doc, "mediaType", what, "mediaType")
    if not isinstance(doc.get("manifests"), list):
        raise _refuse(what, "manifests", doc.get("manifests"), "an array of descriptors")
    _descriptors(doc["manifests"], what, "manifests")
    check_annotations(doc.get("annotations"), what, "annotations")
    return doc


def check_manifest(doc: Dict[str, Any], what: str) -> Dict[str, Any]:
    """An image manifest: a config descriptor and layer descriptors."""
    _string(doc, "mediaType", what, "mediaType")
    if "config" not in doc:
        raise InvalidInput(f"{what}: has no config, so it is not an image manifest")
    check_descriptor(doc["config"], what, "config")
    _descriptors(doc.get("layers"), what, "layers")
    check_annotations(doc.get("annotations"), what, "annotations")
    return doc


def check_config(doc: Dict[str, Any], what: str) -> Dict[str, Any]:
    """An image config: its platform fields and the layers' diff IDs."""
    for key in ("os", "architecture", "variant", "os.version"):
        _string(doc, key, what, key)
    rootfs = _object(doc.get("rootfs"), what, "rootfs")
    _strings(rootfs.get("diff_ids"), what, "rootfs.diff_ids")
    for i, diff_id in enumerate(rootfs.get("diff_ids") or []):
        if not _DIGEST.match(diff_id):
            raise InvalidInput(
                f"{what}: rootfs.diff_ids[{i}] {diff_id[:80]!r} is not a sha256 or sha512 digest"
            )
    return doc


def parse_index(data: bytes, what: str) -> Dict[str, Any]:
    return check_index(mt.parse_json_blob(data, what), what)


def parse_manifest(data: bytes, what: str) -> Dict[str, Any]:
    return check_manifest(mt.parse_json_blob(data, what), what)


def parse_config(data: bytes, what: str) -> Dict[str, Any]:
    return check_config(mt.parse_json_blob(data, what), what)


def check_docker_entries(entries: Any, what: str) -> List[Dict[str, Any]]:
    """A docker-archive's manifest.json: [{Config, RepoTags, Layers}], names as strings."""
    if not isinstance(entries, list):
        raise _refuse(what, "the document", entries, "an array of images")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _refuse(what, f"[{i}]", entry, "an object")
        _string(entry, "Config", what, f"[{i}].Config")
        _strings(entry.get("RepoTags"), what, f"[{i}].RepoTags")
        _strings(entry.get("Layers"), what, f"[{i}].Layers")
    return entries
