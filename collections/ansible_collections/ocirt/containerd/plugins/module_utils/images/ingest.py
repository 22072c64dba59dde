"""Write an image graph (index -> manifests -> config + layers) into the content store.

Shared by pulls (blobs come from a registry) and archive imports (blobs come from a tar):
both hand over a ``BlobSource``. Small JSON blobs are checked here (size and digest) before
they are parsed; layers are streamed and containerd checks them at commit. Every blob is
written under the caller's lease with the labels containerd's own client would set, so GC,
`ctr` and the CRI treat the result exactly like an image containerd pulled itself.
"""

from __future__ import annotations

import functools
import hashlib
import queue
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional

from ..api import content
from ..api.images import put_image
from ..common import media_types as mt
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import DaemonUnavailable, InvalidInput, Locked, OcirtError, Timeout
from ..transport.connection import Connection, LeaseRef
from . import documents
from .graph import choose, config_platform, listed_platforms, manifest_entries
from .platforms import format_platform
from .unpack import unpack

DEFAULT_PARALLEL_LAYERS = 3
LOCK_WAIT = 600.0  # seconds to wait for another client's ingest of the same blob
#: What a containerd that died or hung mid-operation raises; its lease is kept for a resume.
DAEMON_LOST = (DaemonUnavailable, Timeout)


@contextmanager
def daemon_lost_during(what: str) -> Iterator[None]:
    """Say what was under way when containerd stopped answering, and that a rerun resumes."""
    try:
        yield
    except DAEMON_LOST as exc:
        raise type(exc)(
            f"containerd stopped answering during {what} ({exc}); run it again to resume"
        ) from None


class BlobSource:
    """Where blobs come from. ``open(descriptor, offset)`` yields the bytes from ``offset``."""

    def open(self, descriptor: Mapping[str, Any], offset: int = 0) -> Iterable[bytes]:
        raise NotImplementedError

    def read(self, descriptor: Mapping[str, Any]) -> bytes:
        """A small blob (manifest, index, config), checked against its descriptor."""
        if int(descriptor["size"]) > mt.MAX_MANIFEST_SIZE:
            raise InvalidInput(
                f"{descriptor['digest']} is {descriptor['size']} bytes: refusing a "
                f"{descriptor.get('mediaType', 'blob')} over {mt.MAX_MANIFEST_SIZE} bytes"
            )
        data = b"".join(self.open(descriptor))
        verify(data, descriptor)
        return data

    def location(self, descriptor: Mapping[str, Any]) -> Dict[str, str]:
        """Extra labels for a blob, e.g. where it was pulled from."""
        return {}


def verify(data: bytes, descriptor: Mapping[str, Any]) -> None:
    if len(data) != int(descriptor["size"]):
        raise InvalidInput(
            f"{descriptor['digest']}: {len(data)} bytes, the descriptor says {descriptor['size']}"
        )
    algorithm, _, expected = str(descriptor["digest"]).partition(":")
    if algorithm not in ("sha256", "sha512"):
        raise InvalidInput(f"unsupported digest algorithm in {descriptor['digest']}")
    if hashlib.new(algorithm, data).hexdigest() != expected:
        raise InvalidInput(f"content does not match its digest {descriptor['digest']}")


@dataclass
class PlatformImage:
    """One platform's manifest with its parsed config."""

    manifest_descriptor: Dict[str, Any]
    manifest: Dict[str, Any]
    config: Dict[str, Any]
    platform: str
    chain_id: str = ""  # top snapshot, when unpacked during the ingest


@dataclass
class IngestResult:
    top: Dict[str, Any]  # the OCI descriptor the image record points at
    images: List[PlatformImage] = field(default_factory=list)
    written: List[str] = field(default_factory=list)  # digests newly written
    platforms_in_index: List[str] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (digest, bytes just done, total size)


def _ref_for(descriptor: Mapping[str, Any]) -> str:
    media = descriptor.get("mediaType", "")
    kind = (
        "index"
        if mt.is_index(media)
        else "manifest"
        if mt.is_manifest(media)
        else ("config" if media in mt.CONFIGS else "layer")
    )
    return f"{kind}-{descriptor['digest']}"


def run_in_daemon_threads(jobs: List[Callable[[], Any]], parallel: int) -> List[Future]:
    """Run ``jobs`` on at most ``parallel`` daemon threads; one future per job.

    Not a ThreadPoolExecutor: Python joins its threads at exit, so a process interrupted
    while a thread waits on a registry would wait with it. Each job bounds its own waits.
    """
    futures: List[Future] = [Future() for _ in jobs]
    todo: queue.Queue = queue.Queue()
    for pair in zip(jobs, futures):
        todo.put(pair)

    def worker() -> None:
        while True:
            try:
                job, future = todo.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:  # handed to the thread that waits on the future
                future.set_exception(exc)

    for _ in range(min(max(1, parallel), len(jobs))):
        threading.Thread(target=worker, daemon=True, name="ocirt-layer").start()
    return futures


class Ingest:
    def __init__(
        self,
        conn: Connection,
        source: BlobSource,
        lease: Optional[LeaseRef],
        progress: Optional[Progress] = None,
        parallel: int = DEFAULT_PARALLEL_LAYERS,
    ) -> None:
        self.conn = conn
        self.source = source
        self.lease = lease
        self.progress = progress
        self.parallel = max(1, parallel)
        self.written: List[str] = []
        self.cancelled = threading.Event()  # set when the operation fails: writers stop

    def _present(self, digest: str) -> bool:
        return content.content_info(self.conn, digest) is not None

    def _write(self, descriptor: Mapping[str, Any], write: Callable[[], Any]) -> bool:
        """Run ``write``; while another client ingests the same blob, wait for it instead.

        Returns False when the blob turned up written by someone else.
        """
        deadline = time.monotonic() + LOCK_WAIT
        delay = 0.1
        while True:
            try:
                write()
                return True
            except Locked:
                if self._present(descriptor["digest"]):
                    return False
                if time.monotonic() > deadline or self.cancelled.wait(delay):
                    raise
                delay = min(delay * 2, 1.0)

    def _write_small(
        self, descriptor: Mapping[str, Any], data: bytes, labels: Dict[str, str]
    ) -> None:
        labels = {**self.source.location(descriptor), **labels}
        if self._present(descriptor["digest"]):
            if labels:
                content.update_labels(self.conn, descriptor["digest"], labels)
            return
        wrote = self._write(
            descriptor,
            lambda: content.write_content(
                self.conn,
                lambda offset: [data[offset:]],
                len(data),
                descriptor["digest"],
                _ref_for(descriptor),
                labels,
                self.lease,
                cancelled=self.cancelled,
            ),
        )
        if not wrote:
            if labels:
                content.update_labels(self.conn, descriptor["digest"], labels)
            return
        self.written.append(descriptor["digest"])
        if self.progress:
            self.progress(descriptor["digest"], len(data), len(data))

    def _write_stream(self, descriptor: Mapping[str, Any]) -> None:
        digest = descriptor["digest"]
        size = int(descriptor["size"])
        if self._present(digest):
            if self.progress:
                self.progress(digest, size, size)
            return
        progress = self.progress
        report = (lambda n: progress(digest, n, size)) if progress else None
        try:
            wrote = self._write(
                descriptor,
                lambda: content.write_content(
                    self.conn,
                    lambda offset: self.source.open(descriptor, offset),
                    size,
                    digest,
                    _ref_for(descriptor),
                    self.source.location(descriptor),
                    self.lease,
                    report,
                    self.cancelled,
                ),
            )
        except (Locked, *DAEMON_LOST):
            raise
        except OcirtError as exc:
            # containerd refuses a blob whose bytes do not hash to the digest at commit
            raise type(exc)(f"layer {digest}: {exc}") from None
        if wrote:
            self.written.append(digest)

    def manifest(
        self, descriptor: Mapping[str, Any], platform: str, unpack_into: Optional[str] = None
    ) -> PlatformImage:
        """Write one platform's manifest, config and layers; with ``unpack_into`` (a
        snapshotter), unpack each layer as soon as it and those below it are written."""
        data = self.source.read(descriptor)
        manifest = documents.parse_manifest(data, f"manifest {descriptor['digest']}")
        media = manifest.get("mediaType") or descriptor["mediaType"]
        if not mt.is_manifest(media):
            raise InvalidInput(f"{descriptor['digest']} is not an image manifest ({media})")
        config_descriptor = manifest["config"]
        config_data = self.source.read(config_descriptor)
        config = documents.parse_config(config_data, f"image config {config_descriptor['digest']}")
        self._write_small(config_descriptor, config_data, {})
        layers = manifest.get("layers") or []
        chain_id = ""
        futures = run_in_daemon_threads(
            [functools.partial(self._write_stream, layer) for layer in layers], self.parallel
        )
        try:
            if unpack_into:
                chain_id = unpack(
                    self.conn,
                    manifest,
                    config_descriptor,
                    config,
                    unpack_into,
                    self.lease,
                    wait_for_layer=lambda i: futures[i].result(),
                )
            for f in futures:
                f.result()  # each writer's waits are bounded (api/content.write_content)
        except BaseException:
            self.cancelled.set()  # the other writers stop at their next chunk
            for f in futures:
                f.cancel()
            raise
        self._write_small(descriptor, data, _gc_labels(media, manifest))
        image = PlatformImage(
            dict(descriptor), manifest, config, platform or config_platform(config)
        )
        image.chain_id = chain_id
        return image


def _gc_labels(media: str, document: Mapping[str, Any]) -> Dict[str, str]:
    """The labels that keep a document's children from GC while it is kept."""
    kids: List[Mapping[str, Any]] = list(mt.children(media, document))
    return mt.gc_labels(media, kids)


def ingest_image(
    conn: Connection,
    source: BlobSource,
    top: Mapping[str, Any],
    wanted_platform: Dict[str, str],
    all_platforms: bool = False,
    *,
    snapshotter: Optional[str] = None,
    lease: Optional[LeaseRef] = None,
    progress: Optional[Progress] = None,
    parallel: int = DEFAULT_PARALLEL_LAYERS,
) -> IngestResult:
    """Write the image under ``top`` for the wanted platform (or all of them); with
    ``snapshotter``, the best platform is unpacked into it while its layers arrive."""
    documents.check_descriptor(top, "the image to ingest", "its descriptor")
    ingest = Ingest(conn, source, lease, progress, parallel)
    result = IngestResult(top=dict(top))
    media = top["mediaType"]
    if mt.is_index(media):
        data = source.read(top)
        index = documents.parse_index(data, f"index {top['digest']}")
        entries = manifest_entries(index)
        result.platforms_in_index = listed_platforms(entries)
        chosen = choose(entries, wanted_platform, all_platforms)
        if not chosen:
            raise InvalidInput(
                f"no manifest for {format_platform(wanted_platform)} in the image; it has "
                f"{', '.join(result.platforms_in_index) or 'no platform information'}"
            )
        for i, entry in enumerate(chosen):
            platform = format_platform(entry["platform"]) if entry.get("platform") else ""
            result.images.append(ingest.manifest(entry, platform, snapshotter if i == 0 else None))
        ingest._write_small(top, data, _gc_labels(media, index))
    elif mt.is_manifest(media):
        result.images.append(ingest.manifest(top, "", snapshotter))
    else:
        raise InvalidInput(f"{top['digest']} is a {media or 'blob of unknown type'}, not an image")
    result.written = ingest.written
    return result


def record_image(
    conn: Connection,
    names: List[str],
    result: IngestResult,
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
    lease: Optional[LeaseRef] = None,
) -> Dict[str, Any]:
    """Point each name at the ingested image and unpack its first (best) platform.

    ``snapshotter=None`` skips unpacking. Returns {'target': api descriptor, 'chain_id'}.
    """

    target = mt.to_api(result.top)
    chain_id = result.images[0].chain_id if result.images else ""
    if snapshotter and result.images and not chain_id:
        first = result.images[0]
        chain_id = unpack(
            conn, first.manifest, first.manifest["config"], first.config, snapshotter, lease
        )
    for name in names:
        put_image(conn, name, target, lease=lease)
    return {"target": target, "chain_id": chain_id}
