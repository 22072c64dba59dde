"""The image graph: index -> platform manifests -> config + layers, walked in one place.

Modelled on containerd's core/images (image.go): ``Image.manifest(platform)`` is its
``Manifest``, ``PlatformManifest.children`` its ``Children``, ``config_platform`` its
``ConfigPlatform``, ``Image.check`` its ``Check`` (available / required / missing) and
``unpacked`` its ``IsUnpacked``. Everything that walks an image (local state, inspect,
export, container creation, ingest, archive checks) goes through here, so "complete" means
one thing everywhere: the platform's manifest, its config and every layer are present, and
the manifest and config pass the shape checks of ``documents``.

Blobs come from a ``Provider``: the content store (``ContentStore``), an archive or a
registry. Documents are read once per ``Image`` and kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol

from ..api import content, snapshots
from ..api import images as images_api
from ..common import media_types as mt
from ..common.errors import FailedPrecondition, InvalidInput
from ..transport.connection import Connection
from . import documents
from .platforms import format_platform, select_manifests

Document = Dict[str, Any]
Parse = Callable[[bytes, str], Document]


class Provider(Protocol):
    """Where the blobs of a graph are read from."""

    def present(self, descriptor: Mapping[str, Any]) -> bool: ...

    def read(self, descriptor: Mapping[str, Any]) -> bytes: ...


class ContentStore:
    """The content store of the connection's namespace, for read-only walks.

    Presence is asked once per digest: a walk must see one consistent store, and an
    inspect of an index would otherwise ask for the same blobs several times.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._present: Dict[str, bool] = {}

    def present(self, descriptor: Mapping[str, Any]) -> bool:
        digest = descriptor["digest"]
        if digest not in self._present:
            self._present[digest] = content.content_info(self.conn, digest) is not None
        return self._present[digest]

    def read(self, descriptor: Mapping[str, Any]) -> bytes:
        return content.read_blob(self.conn, descriptor["digest"])


class ImageNotReady(FailedPrecondition):
    """A container cannot start from the image: it is missing, incomplete or not unpacked."""


def config_platform(config: Mapping[str, Any]) -> str:
    """The platform an image config declares, as ``os/arch[/variant]``."""
    return format_platform(
        {
            "os": config.get("os", ""),
            "architecture": config.get("architecture", ""),
            "variant": config.get("variant", ""),
        }
    )


def chain_ids(diff_ids: List[str]) -> List[str]:
    """chainID[0] = diffID[0]; chainID[n] = sha256(chainID[n-1] + " " + diffID[n])."""
    out: List[str] = []
    for diff_id in diff_ids:
        if not out:
            out.append(diff_id)
        else:
            joined = f"{out[-1]} {diff_id}".encode()
            out.append("sha256:" + hashlib.sha256(joined).hexdigest())
    return out


def diff_ids(config: Mapping[str, Any]) -> List[str]:
    return list((config.get("rootfs") or {}).get("diff_ids") or [])


def manifest_entries(index: Mapping[str, Any]) -> List[Document]:
    """The entries of an index that are image manifests (not nested indexes, not blobs)."""
    return [m for m in index["manifests"] if mt.is_manifest(m["mediaType"])]


def listed_platforms(entries: List[Document]) -> List[str]:
    return [format_platform(m["platform"]) for m in entries if m.get("platform")]


def choose(entries: List[Document], wanted: Dict[str, str], all_platforms: bool) -> List[Document]:
    """The entries a pull, an import or an export takes: all, or the best for ``wanted``."""
    return list(entries) if all_platforms else select_manifests(entries, wanted)[:1]


def layers_match(manifest: Mapping[str, Any], config: Mapping[str, Any], what: str) -> None:
    """Refuse a config that does not list one diff ID per layer (it cannot be unpacked)."""
    layers = manifest.get("layers") or []
    ids = diff_ids(config)
    if len(ids) != len(layers):
        raise InvalidInput(f"{what} lists {len(ids)} diff IDs for {len(layers)} layers")


def read_document(
    provider: Provider, descriptor: Mapping[str, Any], parse: Parse, what: str
) -> Optional[Document]:
    """The document, shape-checked by ``parse``, or None if the provider does not hold it."""
    if not provider.present(descriptor):
        return None
    return parse(provider.read(descriptor), what)


@dataclass
class PlatformManifest:
    """One manifest of an image, checked: what of it is present and what is missing."""

    descriptor: Document
    manifest: Optional[Document] = None  # None: the manifest itself is missing
    config: Optional[Document] = None  # None: missing (or the manifest is)
    missing: List[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.manifest is not None and self.config is not None and not self.missing

    @property
    def digest(self) -> str:
        return str(self.descriptor["digest"])

    @property
    def children(self) -> List[Document]:
        """The config and layer descriptors (containerd's Children of a manifest)."""
        if self.manifest is None:
            return []
        return mt.children(self.descriptor["mediaType"], self.manifest)

    @property
    def layers(self) -> List[Document]:
        return list((self.manifest or {}).get("layers") or [])

    @property
    def platform(self) -> str:
        """The index entry's platform, else the config's, else ''."""
        if self.descriptor.get("platform"):
            return format_platform(self.descriptor["platform"])
        return config_platform(self.config) if self.config else ""

    def required(self) -> List[Document]:
        """Every blob this platform needs: the manifest, then its children."""
        return [dict(self.descriptor), *[dict(k) for k in self.children]]

    def chain_ids(self) -> List[str]:
        return chain_ids(diff_ids(self.config or {}))


def check_manifest(
    provider: Provider, descriptor: Mapping[str, Any], where: str = ""
) -> PlatformManifest:
    """Read and check one manifest and look for its config and layers."""
    checked = PlatformManifest(dict(descriptor))
    checked.manifest = read_document(
        provider, descriptor, documents.parse_manifest, f"{where}manifest {descriptor['digest']}"
    )
    if checked.manifest is None:
        checked.missing = [checked.digest]
        return checked
    config = checked.manifest["config"]
    checked.config = read_document(
        provider, config, documents.parse_config, f"{where}image config {config['digest']}"
    )
    if checked.config is None:
        checked.missing.append(config["digest"])
    checked.missing += [k["digest"] for k in checked.layers if not provider.present(k)]
    return checked


@dataclass
class Check:
    """containerd's images.Check for one platform: what it needs and what is not there."""

    manifest: Optional[PlatformManifest]  # None: no manifest for the platform is known
    required: List[Document]
    missing: List[str]

    @property
    def available(self) -> bool:
        return self.manifest is not None and not self.missing


class Image:
    """The graph under one top descriptor (an index or a manifest) in a provider."""

    def __init__(self, provider: Provider, top: Mapping[str, Any], where: str = "") -> None:
        self.provider = provider
        self.top: Document = dict(top)
        self.where = where
        self._index: Optional[Document] = None
        self._read_index = False
        self._manifests: Dict[str, PlatformManifest] = {}

    @property
    def media_type(self) -> str:
        return str(self.top.get("mediaType", ""))

    @property
    def is_index(self) -> bool:
        return mt.is_index(self.media_type)

    @property
    def is_manifest(self) -> bool:
        return mt.is_manifest(self.media_type)

    @property
    def index(self) -> Optional[Document]:
        """The index document; None for a manifest or an index that is not present."""
        if not self._read_index and self.is_index:
            self._index = read_document(
                self.provider,
                self.top,
                documents.parse_index,
                f"{self.where}index {self.top['digest']}",
            )
        self._read_index = True
        return self._index

    def entries(self) -> List[Document]:
        """The platform manifests it lists: the index's manifest entries, or the manifest."""
        if self.is_manifest:
            return [self.top]
        index = self.index
        return manifest_entries(index) if index is not None else []

    def checked(self, descriptor: Mapping[str, Any]) -> PlatformManifest:
        digest = descriptor["digest"]
        if digest not in self._manifests:
            self._manifests[digest] = check_manifest(self.provider, descriptor, self.where)
        return self._manifests[digest]

    def manifest(self, wanted: Dict[str, str]) -> Optional[PlatformManifest]:
        """The manifest for ``wanted`` (containerd's Manifest), present or not; a plain
        manifest is taken as it is; None when the index lists none for the platform."""
        if self.is_manifest:
            return self.checked(self.top)
        chosen = select_manifests(self.entries(), wanted)
        return self.checked(chosen[0]) if chosen else None

    def present(self) -> List[PlatformManifest]:
        """The listed manifests that are complete, in the index's order."""
        return [m for m in map(self.checked, self.entries()) if m.complete]

    def best_present(self, wanted: Dict[str, str]) -> Optional[PlatformManifest]:
        """What describes the image here: a plain manifest, else the best complete
        platform for ``wanted``, else the first complete one (None: none is)."""
        if self.is_manifest:
            return self.checked(self.top)
        present = [m.descriptor for m in self.present()]
        best = select_manifests(present, wanted)[:1] or present[:1]
        return self.checked(best[0]) if best else None

    def check(self, wanted: Dict[str, str]) -> Check:
        """What the platform needs and which of those blobs are missing."""
        if self.is_index and self.index is None:
            return Check(None, [dict(self.top)], [self.top["digest"]])
        chosen = self.manifest(wanted)
        top = [dict(self.top)] if self.is_index else []
        if chosen is None:
            return Check(None, top, [])
        return Check(chosen, top + chosen.required(), list(chosen.missing))


def unpacked(conn: Connection, snapshotter: Optional[str], manifest: PlatformManifest) -> bool:
    """The top layer's snapshot exists in ``snapshotter`` (containerd's IsUnpacked)."""
    ids = manifest.chain_ids()
    if not ids or not snapshotter:
        return False
    return snapshots.stat_snapshot(conn, snapshotter, ids[-1]) is not None


def record_image(conn: Connection, record: Mapping[str, Any]) -> Image:
    """The graph an image record points at, in the content store."""
    return Image(ContentStore(conn), mt.from_api(record["target"]))


@dataclass
class RunnableImage:
    """What a container is created from: a present, unpacked image for one platform."""

    name: str
    digest: str  # the record's target
    config: Document  # the runtime part of the image config ("config" of config.json)
    top_chain_id: str
    layers: List[str]  # layer digests, bottom first


def runnable_image(
    conn: Connection, name: str, wanted: Dict[str, str], snapshotter: str
) -> RunnableImage:
    """The image ``name`` resolved for ``wanted`` and checked: complete and unpacked in
    ``snapshotter``; raises ImageNotReady saying what is wrong and what to do."""
    record = images_api.get_image(conn, name)
    if record is None:
        raise ImageNotReady(
            f"image {name} is not in namespace {conn.namespace!r}: pull or import it first"
        )
    check = record_image(conn, record).check(wanted)
    chosen = check.manifest
    if not check.available or chosen is None or not unpacked(conn, snapshotter, chosen):
        what = "incomplete" if check.missing else "not unpacked"
        raise ImageNotReady(
            f"image {name} is {what} for this platform and the {snapshotter} snapshotter "
            f"in namespace {conn.namespace!r}: pull it again"
        )
    config = chosen.config or {}
    return RunnableImage(
        name=name,
        digest=record["target"]["digest"],
        config=dict(config.get("config") or {}),
        top_chain_id=chosen.chain_ids()[-1],
        layers=[layer["digest"] for layer in chosen.layers],
    )
