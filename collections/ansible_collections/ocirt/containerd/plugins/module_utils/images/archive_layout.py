"""What an image tarball holds: an OCI image layout, a `docker save` archive, or both.

Formats understood:
- OCI image layout (``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``): what `ctr images
  export`, `skopeo copy ... oci-archive:` and docker 25+ `docker save` write.
- docker-archive (``manifest.json`` with Config/RepoTags/Layers): what `docker save` wrote
  before docker 25. It has no image manifest, so one is synthesized, byte for byte as
  containerd's importer does (docker schema-2 manifest, Go's compact JSON field order), which
  gives the same image digest as `ctr images import` of the same archive.
- An archive with both (docker 25+) is read as an OCI layout; names missing from index.json
  are taken from manifest.json's RepoTags.

Names of each image, in order of preference:
- the ``io.containerd.image.name`` annotation of its index.json entry;
- ``org.opencontainers.image.ref.name`` when it is a full reference (has a ``/``, ``:`` or
  ``@``). A ref.name that is only a tag (``latest``, ``1.2``; skopeo writes those) does not
  say which repository: containerd's ctr then invents ``import-<date>:<tag>``. ocirt does not
  guess: such an image has no name and importing it needs names from the caller;
- docker RepoTags.
All names are normalised like containerd does (``busybox`` -> ``docker.io/library/busybox:latest``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

from ..common import media_types as mt
from ..common.errors import InvalidInput
from ..registry.reference import normalize_name
from . import documents
from .archive_tar import HostileArchive, Member, TarArchive
from .graph import choose, layers_match, manifest_entries

ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"

_BLOB_PATH = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_PARSERS = {
    "index": documents.parse_index,
    "manifest": documents.parse_manifest,
    "image config": documents.parse_config,
}


@dataclass
class ArchiveImage:
    """One image the archive holds: its top descriptor and the names it carries."""

    descriptor: Dict[str, Any]
    names: List[str] = field(default_factory=list)
    tag_only: List[str] = field(default_factory=list)  # ref.name values that are only tags


def _go_json(value: Any) -> bytes:
    """JSON as Go's encoding/json writes it: compact, keys in the order given."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _name(text: str, where: str) -> str:
    try:
        return normalize_name(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None


class ArchiveLayout:
    """The images of an archive and the blobs they are made of, looked up by digest."""

    def __init__(self, tar: TarArchive) -> None:
        self.tar = tar
        self.blobs: Dict[str, Member] = {}
        self.synthesized: Dict[str, bytes] = {}  # manifests made for docker-archives
        self.images: List[ArchiveImage] = []
        self._check_blob_names()
        oci = tar.member("index.json") is not None
        docker = tar.member("manifest.json") is not None
        if oci:
            self._read_oci_layout(docker)
        elif docker:
            self._read_docker_archive()
        else:
            raise InvalidInput(
                f"{tar.path} is neither an OCI image layout (index.json) nor a docker "
                "archive (manifest.json)"
            )

    # -- blobs -------------------------------------------------------------------------

    def _check_blob_names(self) -> None:
        for name, member in self.tar.files.items():
            match = _BLOB_PATH.match(name)
            if match:
                if member.sha256 != "sha256:" + match.group(1):
                    raise HostileArchive(
                        f"{self.tar.path}: blob {name} holds bytes whose digest is "
                        f"{member.sha256}, not the one its name claims"
                    )
                self.blobs[member.sha256] = member
            elif name.startswith("blobs/") and not name.startswith("blobs/sha256/"):
                raise InvalidInput(f"{self.tar.path}: {name}: only sha256 blobs are supported")

    def has(self, descriptor: Mapping[str, Any]) -> bool:
        return descriptor["digest"] in self.blobs or descriptor["digest"] in self.synthesized

    def check(self, descriptor: Mapping[str, Any], what: str) -> None:
        """The blob is in the archive and exactly as large as the descriptor declares."""
        digest = str(descriptor.get("digest", ""))
        if not digest.startswith("sha256:"):
            raise InvalidInput(f"{self.tar.path}: {what} has an unsupported digest {digest!r}")
        if digest in self.synthesized:
            actual = len(self.synthesized[digest])
        elif digest in self.blobs:
            actual = self.blobs[digest].size
        else:
            raise InvalidInput(f"{self.tar.path}: {what} {digest} is not in the archive")
        declared = descriptor.get("size")
        if not isinstance(declared, int) or declared != actual:
            raise HostileArchive(
                f"{self.tar.path}: {what} {digest} is {actual} bytes, but its descriptor "
                f"declares {declared}"
            )

    def read(self, descriptor: Mapping[str, Any], what: str) -> Dict[str, Any]:
        """A JSON blob (index, manifest, image config), size-checked, parsed and
        shape-checked (``what`` is a key of _PARSERS)."""
        self.check(descriptor, what)
        digest = descriptor["digest"]
        if digest in self.synthesized:
            data = self.synthesized[digest]
        else:
            data = self.tar.read(self.blobs[digest], mt.MAX_MANIFEST_SIZE)
        return _PARSERS[what](data, f"{self.tar.path}: {what} {digest}")

    def open(self, descriptor: Mapping[str, Any], offset: int = 0) -> Any:
        digest = descriptor["digest"]
        if digest in self.synthesized:
            return iter([self.synthesized[digest][offset:]])
        if digest not in self.blobs:
            raise InvalidInput(f"{self.tar.path}: blob {digest} is not in the archive")
        return self.tar.open(self.blobs[digest], offset)

    # -- OCI image layout --------------------------------------------------------------

    def _document(self, name: str) -> Union[Dict[str, Any], List[Any]]:
        member = self.tar.member(name)
        if member is None:
            raise InvalidInput(f"{self.tar.path}: {name} is missing")
        data = self.tar.read(member, mt.MAX_MANIFEST_SIZE)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise InvalidInput(f"{self.tar.path}: {name} is not valid JSON: {exc}") from None

    def _read_oci_layout(self, has_docker_manifest: bool) -> None:
        index = self._document("index.json")
        if not isinstance(index, dict):
            raise InvalidInput(f"{self.tar.path}: index.json is not a JSON object")
        documents.check_index(index, f"{self.tar.path}: index.json")
        by_digest: Dict[str, ArchiveImage] = {}
        for i, entry in enumerate(index["manifests"]):
            descriptor = {k: entry[k] for k in ("mediaType", "digest", "size")}
            if entry.get("platform"):
                descriptor["platform"] = entry["platform"]
            image = by_digest.get(entry["digest"])
            if image is None:
                image = by_digest[entry["digest"]] = ArchiveImage(descriptor)
                self.images.append(image)
            annotations = entry.get("annotations") or {}
            where = f"{self.tar.path}: index.json entry {i}"
            name = annotations.get(ANNOTATION_IMAGE_NAME)
            ref = annotations.get(ANNOTATION_REF_NAME)
            if name:
                self._add_name(image, _name(name, where))
            elif ref and any(c in ref for c in "/:@"):
                self._add_name(image, _name(ref, where))
            elif ref:
                image.tag_only.append(ref)
        if has_docker_manifest and any(not image.names for image in self.images):
            self._names_from_repo_tags()

    @staticmethod
    def _add_name(image: ArchiveImage, name: str) -> None:
        if name not in image.names:
            image.names.append(name)

    def _names_from_repo_tags(self) -> None:
        """docker 25+ archives: index.json may be unnamed; RepoTags name the same images."""
        entries = self._docker_entries()
        unnamed = [image for image in self.images if not image.names]
        for entry in entries:
            tags = entry.get("RepoTags") or []
            if not tags:
                continue
            config = self.tar.member(str(entry.get("Config", "")))
            matches = [
                image
                for image in unnamed
                if config is not None and self._config_digest(image) == config.sha256
            ]
            if not matches and len(entries) == 1 and len(unnamed) == 1:
                matches = unnamed
            for image in matches:
                for tag in tags:
                    self._add_name(image, _name(tag, f"{self.tar.path}: manifest.json"))

    def _config_digest(self, image: ArchiveImage) -> Optional[str]:
        descriptor = image.descriptor
        if not mt.is_manifest(descriptor.get("mediaType", "")) or not self.has(descriptor):
            return None
        try:
            manifest = self.read(descriptor, "manifest")
        except InvalidInput:
            return None
        return manifest["config"]["digest"]

    # -- docker-archive ----------------------------------------------------------------

    def _docker_entries(self) -> List[Dict[str, Any]]:
        path = f"{self.tar.path}: manifest.json"
        return documents.check_docker_entries(self._document("manifest.json"), path)

    def _member(self, name: Any, what: str) -> Member:
        member = self.tar.member(str(name)) if isinstance(name, str) and name else None
        if member is None:
            raise InvalidInput(
                f"{self.tar.path}: manifest.json names {what} {name!r}, which is not in the archive"
            )
        return member

    def _is_gzip(self, member: Member) -> bool:
        head = b""
        for chunk in self.tar.open(member):
            head += chunk
            if len(head) >= 2:
                break
        return head[:2] == b"\x1f\x8b"

    def _read_docker_archive(self) -> None:
        for i, entry in enumerate(self._docker_entries()):
            config_member = self._member(entry.get("Config"), "the config")
            if config_member.size > mt.MAX_MANIFEST_SIZE:
                raise InvalidInput(
                    f"{self.tar.path}: config {config_member.name} is over "
                    f"{mt.MAX_MANIFEST_SIZE} bytes"
                )
            self.blobs[config_member.sha256] = config_member
            layers = []
            for layer_name in entry.get("Layers") or []:
                member = self._member(layer_name, "the layer")
                self.blobs[member.sha256] = member
                media = mt.DOCKER_LAYER_GZIP if self._is_gzip(member) else mt.DOCKER_LAYER
                layers.append({"mediaType": media, "digest": member.sha256, "size": member.size})
            # field order as containerd's importer marshals its manifest struct
            manifest = {
                "schemaVersion": 2,
                "mediaType": mt.DOCKER_MANIFEST,
                "config": {
                    "mediaType": mt.DOCKER_CONFIG,
                    "digest": config_member.sha256,
                    "size": config_member.size,
                },
                "layers": layers,
            }
            data = _go_json(manifest)
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            self.synthesized[digest] = data
            image = ArchiveImage(
                {"mediaType": mt.DOCKER_MANIFEST, "digest": digest, "size": len(data)}
            )
            for tag in entry.get("RepoTags") or []:
                self._add_name(image, _name(tag, f"{self.tar.path}: manifest.json entry {i}"))
            self.images.append(image)

    # -- the blobs an import would write -----------------------------------------------

    def plan(
        self, top: Mapping[str, Any], wanted: Dict[str, str], all_platforms: bool
    ) -> List[Dict[str, Any]]:
        """Check every blob an import of ``top`` would write; return their descriptors.

        Follows ingest_image's choice of platform so that exactly what will be written is
        checked: presence, declared size, size limits of JSON documents, and that each
        manifest's config lists one diff ID per layer.
        """
        media = top.get("mediaType", "")
        out: List[Dict[str, Any]] = [dict(top)]
        if mt.is_index(media):
            index = self.read(top, "index")
            chosen = choose(manifest_entries(index), wanted, all_platforms)
            if not chosen:
                raise InvalidInput(
                    f"{self.tar.path}: index {top['digest']} has no manifest for this platform"
                )
            for entry in chosen:
                out += self._plan_manifest(entry)
        elif mt.is_manifest(media):
            out += self._plan_manifest(top)[1:]
        else:
            raise InvalidInput(f"{self.tar.path}: {top['digest']} is a {media!r}, not an image")
        return out

    def _plan_manifest(self, descriptor: Mapping[str, Any]) -> List[Dict[str, Any]]:
        manifest = self.read(descriptor, "manifest")
        config_descriptor = manifest["config"]
        config = self.read(config_descriptor, "image config")
        layers = manifest.get("layers") or []
        for layer in layers:
            self.check(layer, "layer")
        layers_match(
            manifest, config, f"{self.tar.path}: image config {config_descriptor['digest']}"
        )
        return [dict(descriptor), dict(config_descriptor), *[dict(x) for x in layers]]
