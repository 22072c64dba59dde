"""Container images built by the tests themselves, from Debian's busybox-static.

No image from the internet is used anywhere. An `Image` is a list of layers plus an image
config; an `ImageIndex` groups images of several platforms. Everything is deterministic
(fixed mtimes, owners and gzip headers), so building the same spec twice gives the same
digests.

Layer entries map a path inside the image to:
  bytes                  a regular file (mode 0644)
  File(data, mode)       a regular file; File.from_host(path) copies a host file
  Symlink(target)        a symbolic link
  Dir(mode)              a directory (parents are created automatically, mode 0755)
  Whiteout()             deletes the path of an earlier layer (written as `.wh.<name>`);
                         a key whose name starts with `.wh.` is written as given.

Writers: write_oci_archive(), write_docker_archive() (tarballs for `ctr images import`) and
push() (the distribution push protocol, over http.client/ssl).
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import http.client
import io
import json
import os
import platform
import ssl
import tarfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

# Media types
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name"

#: Timestamp of every file in every layer and of the image configs.
FIXED_MTIME = 1700000000
FIXED_CREATED = "2023-11-14T22:13:20Z"

BUSYBOX_PATH = Path("/bin/busybox")
#: Applets linked into /bin of the busybox images.
BUSYBOX_APPLETS = (
    "sh",
    "ash",
    "echo",
    "cat",
    "sleep",
    "ls",
    "id",
    "env",
    "true",
    "false",
    "test",
    "[",
    "printf",
    "pwd",
    "mkdir",
    "rm",
    "touch",
    "stat",
    "grep",
    "wc",
    "head",
    "tail",
    "hostname",
    "ps",
    "kill",
    "whoami",
    "uname",
    "date",
    "mount",
    "df",
    "ip",
    "ifconfig",
    "nc",
    "wget",
    "httpd",
    "tee",
    "sed",
    "awk",
    "readlink",
    "chmod",
    "chown",
    "ln",
    "cp",
    "mv",
    "find",
    "seq",
    "yes",
    "timeout",
    "nslookup",
    "top",
    "free",
    "dd",
)
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def host_arch() -> str:
    """The OCI architecture name of this machine."""
    m = platform.machine().lower()
    return {
        "x86_64": "amd64",
        "amd64": "amd64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "armv7l": "arm",
        "i686": "386",
        "i386": "386",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
        "riscv64": "riscv64",
    }.get(m, m)


def other_arch() -> str:
    """A foreign architecture for multi-platform tests."""
    return "arm64" if host_arch() != "arm64" else "amd64"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- layer entries


@dataclass
class File:
    data: bytes
    mode: int = 0o644
    uid: int = 0
    gid: int = 0

    @classmethod
    def from_host(cls, path: Union[str, Path], mode: Optional[int] = None) -> File:
        p = Path(path)
        return cls(p.read_bytes(), mode if mode is not None else (p.stat().st_mode & 0o7777))


@dataclass
class Symlink:
    target: str


@dataclass
class Dir:
    mode: int = 0o755
    uid: int = 0
    gid: int = 0


@dataclass
class Whiteout:
    """Removes the path (from earlier layers) in the layer it is part of."""


Entry = Union[bytes, str, File, Symlink, Dir, Whiteout]


def _norm(path: str) -> str:
    p = path.strip("/")
    if not p or ".." in p.split("/"):
        raise ValueError(f"bad path in layer: {path!r}")
    return p


def _tar_info(name: str, kind: bytes, mode: int, uid: int = 0, gid: int = 0) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.mtime = FIXED_MTIME
    return ti


def _as_file(raw: str, entry: Entry) -> File:
    """A regular file entry: given as a File, or as its content (str or bytes)."""
    if isinstance(entry, str):
        return File(entry.encode())
    if isinstance(entry, (bytes, bytearray)):
        return File(bytes(entry))
    if not isinstance(entry, File):
        raise TypeError(f"unsupported layer entry for {raw!r}: {entry!r}")
    return entry


def _tar_member(raw: str, path: str, entry: Entry) -> Tuple[tarfile.TarInfo, Optional[bytes]]:
    """The tar header (and content, for files) of one entry at ``path``."""
    if isinstance(entry, Whiteout):
        head, _, base = path.rpartition("/")
        wh = f"{head}/.wh.{base}" if head else f".wh.{base}"
        return _tar_info(wh, tarfile.REGTYPE, 0o600), b""
    if isinstance(entry, Dir):
        return _tar_info(path, tarfile.DIRTYPE, entry.mode, entry.uid, entry.gid), None
    if isinstance(entry, Symlink):
        ti = _tar_info(path, tarfile.SYMTYPE, 0o777)
        ti.linkname = entry.target
        return ti, None
    file = _as_file(raw, entry)
    ti = _tar_info(path, tarfile.REGTYPE, file.mode, file.uid, file.gid)
    ti.size = len(file.data)
    return ti, file.data


def build_layer_tar(entries: Dict[str, Entry]) -> bytes:
    """An uncompressed, deterministic layer tar from a path -> entry mapping."""
    items: Dict[str, tarfile.TarInfo] = {}
    payload: Dict[str, bytes] = {}
    for raw, entry in entries.items():
        path = _norm(raw)
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            if parent not in items:
                items[parent] = _tar_info(parent, tarfile.DIRTYPE, 0o755)
        ti, data = _tar_member(raw, path, entry)
        items[ti.name] = ti
        if data is not None:
            payload[ti.name] = data

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(items):
            ti = items[name]
            if ti.isdir():
                ti.name = name + "/"
            data = payload.get(name)
            tar.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    """gzip with a fixed header (no name, mtime 0) so output is reproducible."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return buf.getvalue()


# ---------------------------------------------------------------------------- specs


@dataclass
class ImageConfig:
    entrypoint: Optional[List[str]] = None
    cmd: Optional[List[str]] = None
    env: List[str] = field(default_factory=lambda: [DEFAULT_PATH])
    user: str = ""
    workdir: str = ""
    labels: Dict[str, str] = field(default_factory=dict)
    exposed_ports: List[str] = field(default_factory=list)  # e.g. ["8080/tcp"]
    stop_signal: Optional[str] = None
    volumes: List[str] = field(default_factory=list)


@dataclass
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, **extra: Any) -> Dict[str, Any]:
        d: Dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        d.update({k: v for k, v in extra.items() if v})
        return d


@dataclass
class BuiltImage:
    """The blobs of one image manifest, ready to write or push."""

    manifest: Blob
    config: Blob
    layers: List[Blob]
    layer_tars: List[bytes]  # uncompressed, same order as layers
    diff_ids: List[str]
    platform: Dict[str, str]

    @property
    def digest(self) -> str:
        return self.manifest.digest

    def blobs(self) -> List[Blob]:
        """Every blob except the manifest, config first."""
        return [self.config, *self.layers]


@dataclass
class Image:
    """An image spec: layers (bottom first) and a config, for one platform."""

    layers: List[Dict[str, Entry]]
    config: ImageConfig = field(default_factory=ImageConfig)
    architecture: str = field(default_factory=host_arch)
    os: str = "linux"
    variant: Optional[str] = None
    media: str = "oci"  # "oci" or "docker" (media types of manifest, config and layers)
    annotations: Dict[str, str] = field(default_factory=dict)
    _built: Optional[BuiltImage] = field(default=None, repr=False, compare=False)

    def replace(self, **changes: Any) -> Image:
        """A copy with some fields changed (config changes via config=...)."""
        new = copy.copy(self)
        for k, v in changes.items():
            setattr(new, k, v)
        new._built = None
        return new

    def config_json(self, diff_ids: List[str]) -> Dict[str, Any]:
        c = self.config
        cfg: Dict[str, Any] = {"Env": list(c.env)}
        if c.entrypoint is not None:
            cfg["Entrypoint"] = list(c.entrypoint)
        if c.cmd is not None:
            cfg["Cmd"] = list(c.cmd)
        if c.user:
            cfg["User"] = c.user
        if c.workdir:
            cfg["WorkingDir"] = c.workdir
        if c.labels:
            cfg["Labels"] = dict(c.labels)
        if c.exposed_ports:
            cfg["ExposedPorts"] = {p: {} for p in c.exposed_ports}
        if c.volumes:
            cfg["Volumes"] = {v: {} for v in c.volumes}
        if c.stop_signal:
            cfg["StopSignal"] = c.stop_signal
        doc: Dict[str, Any] = {
            "created": FIXED_CREATED,
            "architecture": self.architecture,
            "os": self.os,
            "config": cfg,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [
                {"created": FIXED_CREATED, "created_by": f"ocirt test layer {i}"}
                for i in range(len(diff_ids))
            ],
        }
        if self.variant:
            doc["variant"] = self.variant
        return doc

    def platform(self) -> Dict[str, str]:
        p = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            p["variant"] = self.variant
        return p

    def build(self) -> BuiltImage:
        if self._built is not None:
            return self._built
        docker = self.media == "docker"
        tars = [build_layer_tar(entries) for entries in self.layers]
        diff_ids = [sha256_digest(t) for t in tars]
        layers = [
            Blob(DOCKER_LAYER_GZIP if docker else OCI_LAYER_GZIP, gzip_bytes(t)) for t in tars
        ]
        config = Blob(
            DOCKER_CONFIG if docker else OCI_CONFIG, canonical_json(self.config_json(diff_ids))
        )
        manifest_doc: Dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
            "config": config.descriptor(),
            "layers": [blob.descriptor() for blob in layers],
        }
        if self.annotations and not docker:
            manifest_doc["annotations"] = dict(self.annotations)
        manifest = Blob(manifest_doc["mediaType"], canonical_json(manifest_doc))
        self._built = BuiltImage(manifest, config, layers, tars, diff_ids, self.platform())
        return self._built

    @property
    def digest(self) -> str:
        return self.build().digest


@dataclass
class BuiltIndex:
    index: Blob
    images: List[BuiltImage]

    @property
    def digest(self) -> str:
        return self.index.digest


@dataclass
class ImageIndex:
    """A multi-platform image: one manifest per platform."""

    images: List[Image]
    media: str = "oci"  # "oci" index or "docker" manifest list
    annotations: Dict[str, str] = field(default_factory=dict)
    _built: Optional[BuiltIndex] = field(default=None, repr=False, compare=False)

    def build(self) -> BuiltIndex:
        if self._built is not None:
            return self._built
        built = [img.build() for img in self.images]
        docker = self.media == "docker"
        doc: Dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST_LIST if docker else OCI_INDEX,
            "manifests": [b.manifest.descriptor(platform=b.platform) for b in built],
        }
        if self.annotations and not docker:
            doc["annotations"] = dict(self.annotations)
        self._built = BuiltIndex(Blob(doc["mediaType"], canonical_json(doc)), built)
        return self._built

    @property
    def digest(self) -> str:
        return self.build().digest

    def for_platform(self, architecture: str, os: str = "linux") -> Image:
        for img in self.images:
            if img.architecture == architecture and img.os == os:
                return img
        raise KeyError(f"no {os}/{architecture} image in index")


ImageOrIndex = Union[Image, ImageIndex]


# ---------------------------------------------------------------------------- ready-made images


def busybox_root_layer(applets: tuple = BUSYBOX_APPLETS) -> Dict[str, Entry]:
    """/bin/busybox (static) with applet symlinks, a minimal /etc and /tmp."""
    if not BUSYBOX_PATH.exists():
        raise FileNotFoundError(f"{BUSYBOX_PATH} missing: install Debian's busybox-static")
    layer: Dict[str, Entry] = {"bin/busybox": File.from_host(BUSYBOX_PATH, 0o755)}
    for name in applets:
        layer[f"bin/{name}"] = Symlink("busybox")
    layer.update(
        {
            "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n"
            b"daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
            b"app:x:1000:1000:app:/home/app:/bin/sh\n"
            b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            "etc/group": b"root:x:0:\ndaemon:x:1:\napp:x:1000:\nnogroup:x:65534:\n",
            "etc/hostname": b"busybox\n",
            "root": Dir(0o700),
            "home/app": Dir(0o755, 1000, 1000),
            "tmp": Dir(0o1777),
            "proc": Dir(),
            "sys": Dir(),
            "dev": Dir(),
            "run": Dir(),
            "var": Dir(),
        }
    )
    return layer


#: What the busybox image's layers 2 and 3 contain (tests check these).
BUSYBOX_MARKER = "/etc/ocirt/release"
BUSYBOX_MARKER_CONTENT = "ocirt-test-image layer2\n"
BUSYBOX_DELETED = "/etc/ocirt/deleted-by-whiteout"
BUSYBOX_LAYER3_FILE = "/etc/ocirt/layer3"
BUSYBOX_ENV = "OCIRT_IMAGE=busybox"


def busybox_image(
    config: Optional[ImageConfig] = None,
    media: str = "oci",
    architecture: Optional[str] = None,
    extra_layer: Optional[Dict[str, Entry]] = None,
) -> Image:
    """A 3-layer busybox image.

    Layer 1: busybox-static and its applets, /etc/passwd (root, app=1000, nobody), /tmp.
    Layer 2: /etc/ocirt/release (BUSYBOX_MARKER_CONTENT) and /etc/ocirt/deleted-by-whiteout.
    Layer 3: a whiteout deleting /etc/ocirt/deleted-by-whiteout, plus /etc/ocirt/layer3.
    Config: Env PATH + OCIRT_IMAGE=busybox, Cmd ["sh", "-c", "echo hello from busybox"],
    WorkingDir /, a label and exposed port 8080/tcp. extra_layer is appended as layer 4.
    """
    layers: List[Dict[str, Entry]] = [
        busybox_root_layer(),
        {
            BUSYBOX_MARKER: BUSYBOX_MARKER_CONTENT.encode(),
            BUSYBOX_DELETED: b"this file is removed by a whiteout in layer 3\n",
            "usr/local/bin/hello": File(b'#!/bin/sh\necho hello "$@"\n', 0o755),
        },
        {
            BUSYBOX_DELETED: Whiteout(),
            BUSYBOX_LAYER3_FILE: b"layer 3\n",
        },
    ]
    if extra_layer:
        layers.append(extra_layer)
    if config is None:
        config = ImageConfig(
            cmd=["sh", "-c", "echo hello from busybox"],
            env=[DEFAULT_PATH, BUSYBOX_ENV],
            workdir="/",
            labels={"org.ocirt.test": "busybox"},
            exposed_ports=["8080/tcp"],
        )
    return Image(
        layers=layers,
        config=config,
        architecture=architecture or host_arch(),
        media=media,
    )


def dummy_image(architecture: str, os: str = "linux", variant: Optional[str] = None) -> Image:
    """A one-layer image for a foreign platform (cannot run here; for index tests)."""
    return Image(
        layers=[{"etc/platform": f"{os}/{architecture}\n".encode(), "bin": Dir()}],
        config=ImageConfig(cmd=["/bin/false"], labels={"org.ocirt.test": "dummy"}),
        architecture=architecture,
        os=os,
        variant=variant,
    )


def busybox_index(media: str = "oci") -> ImageIndex:
    """Multi-platform: the runnable busybox for this machine + a dummy for other_arch()."""
    return ImageIndex(
        images=[busybox_image(media=media), dummy_image(other_arch()).replace(media=media)],
        media=media,
    )


# ---------------------------------------------------------------------------- archives


def _tar_add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = FIXED_MTIME
    ti.uname = ti.gname = ""
    tar.addfile(ti, io.BytesIO(data))


def _tar_dir(tar: tarfile.TarFile, name: str) -> None:
    ti = tarfile.TarInfo(name.rstrip("/") + "/")
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    ti.mtime = FIXED_MTIME
    tar.addfile(ti)


def _oci_ref_name(name: str) -> str:
    """The OCI ref.name annotation containerd writes: the tag of name, else name."""
    last = name.rsplit("/", 1)[-1]
    if "@" in last:
        return name
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return name


def write_oci_archive(
    image_or_index: ImageOrIndex,
    path: Union[str, Path],
    ref_name: Optional[str] = None,
) -> Path:
    """Write an OCI image layout tarball (for `ctr images import`).

    ref_name is the full image name (e.g. "example.test/ocirt/busybox:1"); index.json's
    descriptor gets io.containerd.image.name = ref_name and
    org.opencontainers.image.ref.name = its tag (what containerd's own exporter writes).
    """
    path = Path(path)
    if isinstance(image_or_index, ImageIndex):
        built_index = image_or_index.build()
        top = built_index.index
        blobs: Dict[str, bytes] = {top.digest: top.data}
        for b in built_index.images:
            blobs[b.manifest.digest] = b.manifest.data
            blobs.update((x.digest, x.data) for x in b.blobs())
        top_desc = top.descriptor()
    else:
        b = image_or_index.build()
        blobs = {b.manifest.digest: b.manifest.data}
        blobs.update((x.digest, x.data) for x in b.blobs())
        top_desc = b.manifest.descriptor(platform=b.platform)
    if ref_name:
        top_desc["annotations"] = {
            ANNOTATION_CONTAINERD_NAME: ref_name,
            ANNOTATION_REF_NAME: _oci_ref_name(ref_name),
        }
    index_json = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top_desc]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _tar_add(tar, "oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
        _tar_add(tar, "index.json", canonical_json(index_json))
        _tar_dir(tar, "blobs")
        _tar_dir(tar, "blobs/sha256")
        for digest in sorted(blobs):
            _tar_add(tar, "blobs/sha256/" + digest.split(":", 1)[1], blobs[digest])
    return path


def write_docker_archive(
    image: Image,
    path: Union[str, Path],
    repo_tags: Optional[List[str]] = None,
) -> Path:
    """Write a `docker save` tarball: manifest.json, <config>.json, <id>/layer.tar (plain).

    repo_tags like ["example.test/ocirt/busybox:1"] name the image on import.
    """
    if not isinstance(image, Image):
        raise TypeError("docker archives hold single-platform images only")
    path = Path(path)
    b = image.build()
    cfg_name = b.config.digest.split(":", 1)[1] + ".json"
    layer_names = []
    for diff_id in b.diff_ids:
        layer_names.append(diff_id.split(":", 1)[1] + "/layer.tar")
    manifest = [{"Config": cfg_name, "RepoTags": list(repo_tags or []), "Layers": layer_names}]
    repositories: Dict[str, Dict[str, str]] = {}
    top_id = b.diff_ids[-1].split(":", 1)[1] if b.diff_ids else ""
    for tag in repo_tags or []:
        repo, _, t = tag.rpartition(":")
        repositories.setdefault(repo, {})[t] = top_id
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _tar_add(tar, cfg_name, b.config.data)
        seen = set()
        for name, data in zip(layer_names, b.layer_tars):
            if name in seen:
                continue
            seen.add(name)
            _tar_dir(tar, name.split("/")[0])
            _tar_add(tar, name, data)
        _tar_add(tar, "manifest.json", canonical_json(manifest))
        if repositories:
            _tar_add(tar, "repositories", canonical_json(repositories))
    return path


# ---------------------------------------------------------------------------- registry push


class PushError(RuntimeError):
    pass


class _RegistryClient:
    """Just enough of the distribution API to push (and check) images."""

    def __init__(
        self,
        host: str,
        scheme: str = "http",
        ca_path: Optional[Union[str, Path]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        timeout: float = 30,
    ):
        self.host = host
        self.scheme = scheme
        self.timeout = timeout
        self.ctx: Optional[ssl.SSLContext] = None
        if scheme == "https":
            self.ctx = ssl.create_default_context(cafile=str(ca_path) if ca_path else None)
        self.auth: Optional[str] = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
            self.auth = "Basic " + token

    def _conn(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, timeout=self.timeout, context=self.ctx)
        return http.client.HTTPConnection(self.host, timeout=self.timeout)

    def request(
        self,
        method: str,
        url: str,
        body: Optional[bytes] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> tuple[int, Dict[str, str], bytes]:
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        if body is not None:
            h.setdefault("Content-Length", str(len(body)))
        conn = self._conn()
        try:
            conn.request(method, url, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def _path_of(self, location: str) -> str:
        u = urllib.parse.urlsplit(location)
        if u.netloc and u.netloc != self.host:
            raise PushError(f"registry redirected the upload to another host: {location}")
        return urllib.parse.urlunsplit(("", "", u.path, u.query, ""))

    def blob_exists(self, repo: str, digest: str) -> bool:
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        return status == 200

    def push_blob(self, repo: str, blob: Blob) -> None:
        if self.blob_exists(repo, blob.digest):
            return
        status, headers, data = self.request(
            "POST",
            f"/v2/{repo}/blobs/uploads/",
            body=b"",
            headers={"Content-Type": "application/octet-stream"},
        )
        if status != 202 or "location" not in headers:
            raise PushError(f"POST upload for {repo}: HTTP {status}: {data[:500]!r}")
        loc = self._path_of(headers["location"])
        sep = "&" if "?" in loc else "?"
        put_url = f"{loc}{sep}digest={urllib.parse.quote(blob.digest)}"
        status, _, data = self.request(
            "PUT", put_url, body=blob.data, headers={"Content-Type": "application/octet-stream"}
        )
        if status != 201:
            raise PushError(f"PUT blob {blob.digest} to {repo}: HTTP {status}: {data[:500]!r}")

    def put_manifest(self, repo: str, reference: str, blob: Blob) -> str:
        status, headers, data = self.request(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            body=blob.data,
            headers={"Content-Type": blob.media_type},
        )
        if status != 201:
            raise PushError(f"PUT manifest {repo}:{reference}: HTTP {status}: {data[:500]!r}")
        got = headers.get("docker-content-digest", blob.digest)
        if got != blob.digest:
            raise PushError(f"registry stored {repo}:{reference} as {got}, expected {blob.digest}")
        return blob.digest

    def push_image(self, repo: str, built: BuiltImage, reference: str) -> str:
        for blob in built.blobs():
            self.push_blob(repo, blob)
        return self.put_manifest(repo, reference, built.manifest)


def registry_client(registry: Any, username: Any = ..., password: Any = ...) -> _RegistryClient:
    """A client for a harness Registry (its CA and, unless overridden, its credentials)."""
    scheme = registry.url.split("://", 1)[0]
    return _RegistryClient(
        registry.host,
        scheme=scheme,
        ca_path=registry.ca_path,
        username=registry.username if username is ... else username,
        password=registry.password if password is ... else password,
    )


def push(registry: Any, repository: str, tag: str, image_or_index: ImageOrIndex) -> str:
    """Push an image or index to a harness Registry as repository:tag.

    Blobs go up with a monolithic POST + PUT upload (skipped when HEAD finds them), the
    platform manifests of an index by digest, then the top manifest/index by tag. Uses TLS
    with the registry's CA and basic auth when the registry has credentials. Returns the
    digest of the top manifest or index.
    """
    client = registry_client(registry)
    if isinstance(image_or_index, ImageIndex):
        built = image_or_index.build()
        for b in built.images:
            client.push_image(repository, b, b.manifest.digest)
        return client.put_manifest(repository, tag, built.index)
    return client.push_image(repository, image_or_index.build(), tag)


def unique_image(tag: str, size: int = 64) -> Image:
    """busybox plus a top layer of random bytes (/data/<tag>.bin) that no other image shares,
    for tests that change or count that image's blobs."""
    base = busybox_image()
    return base.replace(layers=[*base.layers, {f"data/{tag}.bin": File(os.urandom(size))}])
