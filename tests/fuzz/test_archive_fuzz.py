"""The archive check (read_archive: scan, hash and plan, before containerd is involved) on
random bytes and on mutated real archives: OCI layouts, a multi-platform index and a
docker-archive built by tests/harness/images.py, mutated byte-wise (flips, truncation,
gzip on top) and with hostile entries added (links out, devices, fifos, duplicates,
absolute and ".." paths, unknown entry types). Every outcome is
a list of images or the library's InvalidInput; the check opens nothing for writing and
creates, renames or removes nothing (an audit hook watches), and nothing hangs."""

from __future__ import annotations

import gzip
import io
import os
import sys
import tarfile
import tempfile
import threading
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    read_archive,
)
from harness.images import (
    Dir,
    Image,
    ImageConfig,
    ImageIndex,
    Symlink,
    dummy_image,
    other_arch,
    write_docker_archive,
    write_oci_archive,
)
from hypothesis import given
from hypothesis import strategies as st

from .budget import BOUNDED, FUZZ

Members = List[Tuple[tarfile.TarInfo, Optional[bytes]]]

# ------------------------------------------------------------------ the write watcher

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITING_EVENTS = {
    "os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.chmod",
    "os.chown", "os.truncate", "os.utime", "shutil.copyfile", "shutil.move",
    "tempfile.mkstemp", "tempfile.mkdtemp",
}  # fmt: skip
_watch = threading.local()


def _audit(event: str, args: Tuple[Any, ...]) -> None:
    seen = getattr(_watch, "seen", None)
    if seen is None:
        return
    if event == "open":
        path, _mode, flags = args
        if not isinstance(path, int) and isinstance(flags, int) and flags & _WRITE_FLAGS:
            seen.append((event, path))
    elif event in _WRITING_EVENTS:
        seen.append((event, args[0] if args else None))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it only records while watching


def _check(path: str) -> List[Tuple[str, Any]]:
    """read_archive(path); returns what it tried to write. Anything but InvalidInput fails."""
    _watch.seen = []
    try:
        images = read_archive(path)
        assert isinstance(images, list) and all(isinstance(i["names"], list) for i in images)
    except InvalidInput:
        pass
    finally:
        seen, _watch.seen = _watch.seen, None
    return seen


# ------------------------------------------------------------------ real archives


def _small(arch: Optional[str] = None) -> Image:
    layer = {"etc/hello": b"hello\n", "bin": Dir(), "bin/sh": Symlink("busybox")}
    image = Image(layers=[layer, {"etc/two": b"2\n"}], config=ImageConfig(cmd=["/bin/sh"]))
    return image.replace(architecture=arch) if arch else image


def _real_archives() -> Dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="ocirt-fuzz-") as d:
        paths = {
            "oci": write_oci_archive(_small(), f"{d}/oci.tar", ref_name="example.test/fz:1"),
            "index": write_oci_archive(
                ImageIndex([_small(), dummy_image(other_arch())]),
                f"{d}/index.tar",
                ref_name="example.test/fz:multi",
            ),
            "docker": write_docker_archive(
                _small().replace(media="docker"), f"{d}/docker.tar", ["example.test/fz:d"]
            ),
        }
        archives = {name: open(p, "rb").read() for name, p in paths.items()}
    for name, data in archives.items():  # the unmutated archives pass the check
        with tempfile.TemporaryDirectory(prefix="ocirt-fuzz-") as d:
            open(f"{d}/a.tar", "wb").write(data)
            assert read_archive(f"{d}/a.tar"), name
    return archives


ARCHIVES = _real_archives()


def _members(data: bytes) -> Members:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [(m, tar.extractfile(m).read() if m.isreg() else None) for m in tar]  # type: ignore[union-attr]


def _pack(members: Members) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


# ------------------------------------------------------------------ mutations

_NAMES = st.sampled_from(
    ["index.json", "manifest.json", "oci-layout", "blobs", "blobs/sha256", "./index.json",
     "../escape", "/etc/passwd", "a/../../b", "blobs/sha512/x", "blobs/sha256/" + "0" * 64,
     "x/" * 40 + "deep", "", "."]
)  # fmt: skip
_LINKS = st.sampled_from(["index.json", "../x", "/etc/passwd", "blobs", "loop", "a/../../x", ""])
_TYPES = st.sampled_from(
    [tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE,
     tarfile.DIRTYPE, tarfile.CONTTYPE, b"x", b"L"]
)  # fmt: skip


def _extra(
    name: str, kind: bytes, link: str, data: bytes
) -> Tuple[tarfile.TarInfo, Optional[bytes]]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, (data if kind in (tarfile.REGTYPE, tarfile.CONTTYPE) else None)


def _write(data: bytes, compress: bool, directory: str) -> str:
    path = os.path.join(directory, "archive.tar" + (".gz" if compress else ""))
    with open(path, "wb") as f:
        f.write(gzip.compress(data, mtime=0) if compress else data)
    return path


def _assert_clean(data: bytes, compress: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="ocirt-fuzz-") as d:
        path = _write(data, compress, d)
        writes = _check(path)
        assert writes == [], f"the archive check wrote {writes}"
        assert os.listdir(d) == [os.path.basename(path)]


# ------------------------------------------------------------------ the properties


@BOUNDED
@FUZZ
@given(data=st.binary(max_size=2048), compress=st.booleans())
def test_random_bytes(data: bytes, compress: bool) -> None:
    _assert_clean(data, compress)


@BOUNDED
@FUZZ
@given(
    which=st.sampled_from(sorted(ARCHIVES)),
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
    compress=st.booleans(),
)
def test_byte_mutations_of_real_archives(
    which: str, flips: List[Tuple[int, int]], cut: Optional[int], compress: bool
) -> None:
    data = bytearray(ARCHIVES[which])
    for offset, value in flips:
        data[offset % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    _assert_clean(bytes(data), compress)


@BOUNDED
@FUZZ
@given(
    which=st.sampled_from(sorted(ARCHIVES)),
    extra=st.lists(
        st.builds(_extra, _NAMES, _TYPES, _LINKS, st.binary(max_size=16)), min_size=1, max_size=3
    ),
    position=st.integers(min_value=0),
)
def test_hostile_entries_in_real_archives(which: str, extra: Members, position: int) -> None:
    members = _members(ARCHIVES[which])
    at = position % (len(members) + 1)
    _assert_clean(_pack(members[:at] + extra + members[at:]), False)
