"""OCI and Docker media types, and what each kind of blob refers to.

Parents are labelled with ``containerd.io/gc.ref.content.*`` for each child they refer to, so
that containerd's garbage collector keeps the children as long as the parent is kept.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

INDEXES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
CONFIGS = (OCI_CONFIG, DOCKER_CONFIG)

# What resolving asks a registry for, most preferred first (as containerd's resolver does).
MANIFEST_ACCEPT = ", ".join([DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX, "*/*"])

# Registries refuse nothing this large in practice; a bigger "manifest" is an attack.
MAX_MANIFEST_SIZE = 4 * 1024 * 1024


def is_index(media_type: str) -> bool:
    return media_type in INDEXES


def is_manifest(media_type: str) -> bool:
    return media_type in MANIFESTS


def to_api(descriptor: Mapping[str, Any]) -> Dict[str, Any]:
    """An OCI JSON descriptor as containerd's API Descriptor message."""
    return {
        "media_type": descriptor["mediaType"],
        "digest": descriptor["digest"],
        "size": int(descriptor["size"]),
        "annotations": dict(descriptor.get("annotations") or {}),
    }


def from_api(descriptor: Mapping[str, Any]) -> Dict[str, Any]:
    """containerd's Descriptor message as an OCI JSON descriptor."""
    out: Dict[str, Any] = {
        "mediaType": descriptor["media_type"],
        "digest": descriptor["digest"],
        "size": descriptor["size"],
    }
    if descriptor.get("annotations"):
        out["annotations"] = dict(descriptor["annotations"])
    return out


def parse_json_blob(data: bytes, what: str) -> Dict[str, Any]:
    from .errors import InvalidInput

    try:
        value = json.loads(data)
    except ValueError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} is not a JSON object")
    return value


def children(media_type: str, document: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The descriptors a manifest or index refers to (config first, then layers)."""
    if is_index(media_type):
        return list(document.get("manifests") or [])
    if is_manifest(media_type):
        return [document["config"], *(document.get("layers") or [])]
    return []


def gc_labels(media_type: str, kids: List[Mapping[str, Any]]) -> Dict[str, str]:
    """The labels containerd's Go client puts on a parent blob for its children."""
    labels: Dict[str, str] = {}
    if is_index(media_type):
        for i, child in enumerate(kids):
            labels[f"containerd.io/gc.ref.content.m.{i}"] = child["digest"]
    elif is_manifest(media_type):
        labels["containerd.io/gc.ref.content.config"] = kids[0]["digest"]
        for i, child in enumerate(kids[1:]):
            labels[f"containerd.io/gc.ref.content.l.{i}"] = child["digest"]
    return labels
