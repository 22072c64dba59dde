"""Hostile or broken archives are refused with a clear error, and nothing is left behind."""

import hashlib
import io
import json
import tarfile

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common import media_types as mt
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    import_archive,
    read_archive,
)
from harness.images import busybox_image, write_docker_archive, write_oci_archive

from images.support import ctr_content, ctr_images, ctr_snapshots

REF = "example.test/ocirt/hostile:1"


def _members(path):
    with tarfile.open(path) as tar:
        return [(m, tar.extractfile(m).read() if m.isreg() else None) for m in tar.getmembers()]


def _write(path, members):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _info(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    return info


def _blob_name(digest):
    return "blobs/sha256/" + digest.split(":", 1)[1]


def _sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def good(tmp_path, busybox):
    return write_oci_archive(busybox, tmp_path / "good.tar", ref_name=REF)


def _add(good, tmp_path, *extra):
    return _write(tmp_path / "bad.tar", _members(good) + list(extra))


def _replace(good, tmp_path, name, data):
    members = [(i, data if i.name == name else d) for i, d in _members(good)]
    return _write(tmp_path / "bad.tar", members)


def _lying_layer_size(good, tmp_path, busybox):
    """A consistent graph (digests right) whose manifest declares a layer 1 byte too big."""
    built = busybox.build()
    manifest = json.loads(built.manifest.data)
    manifest["layers"][1]["size"] += 1
    data = json.dumps(manifest).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": mt.OCI_MANIFEST,
                "digest": _sha(data),
                "size": len(data),
                "annotations": {"io.containerd.image.name": REF},
            }
        ],
    }
    members = [
        (i, json.dumps(index).encode() if i.name == "index.json" else d) for i, d in _members(good)
    ]
    return _write(tmp_path / "bad.tar", [*members, (_info(_blob_name(_sha(data))), data)])


def _lying_manifest_size(good, tmp_path, busybox):
    index = json.loads(dict((i.name, d) for i, d in _members(good))["index.json"])
    index["manifests"][0]["size"] -= 1
    return _replace(good, tmp_path, "index.json", json.dumps(index).encode())


def _tampered_layer(good, tmp_path, busybox):
    layer = busybox.build().layers[2]
    data = bytearray(layer.data)
    data[-1] ^= 0xFF
    return _replace(good, tmp_path, _blob_name(layer.digest), bytes(data))


def _char_device(good, tmp_path, busybox):
    dev = _info("blobs/null", tarfile.CHRTYPE)
    dev.devmajor, dev.devminor = 1, 3
    return _add(good, tmp_path, (dev, None))


def _huge_index(good, tmp_path, busybox):
    index = dict((i.name, d) for i, d in _members(good))["index.json"]
    padded = index + b" " * (mt.MAX_MANIFEST_SIZE + 1 - len(index))
    return _replace(good, tmp_path, "index.json", padded)


def _huge_docker_manifest(good, tmp_path, busybox):
    path = write_docker_archive(busybox_image(media="docker"), tmp_path / "d.tar", ["x:1"])
    members = _members(path)
    data = dict((i.name, d) for i, d in members)["manifest.json"]
    padded = data + b" " * (mt.MAX_MANIFEST_SIZE + 1 - len(data))
    return _write(
        tmp_path / "bad.tar",
        [(i, padded if i.name == "manifest.json" else d) for i, d in members],
    )


CASES = {
    "absolute path": (lambda g, t, b: _add(g, t, (_info("/etc/ocirt-evil"), b"x")), "absolute"),
    "dotdot": (lambda g, t, b: _add(g, t, (_info("blobs/../../evil"), b"x")), "'..'"),
    "symlink out": (
        lambda g, t, b: _add(
            g, t, (_info("blobs/link", tarfile.SYMTYPE, "../../etc/passwd"), None)
        ),
        "points outside",
    ),
    "absolute symlink": (
        lambda g, t, b: _add(g, t, (_info("blobs/link", tarfile.SYMTYPE, "/etc/passwd"), None)),
        "points outside",
    ),
    "hardlink out": (
        lambda g, t, b: _add(g, t, (_info("blobs/hard", tarfile.LNKTYPE, "../etc/passwd"), None)),
        "points outside",
    ),
    "fifo": (lambda g, t, b: _add(g, t, (_info("blobs/fifo", tarfile.FIFOTYPE), None)), "a fifo"),
    "device": (_char_device, "a device"),
    "duplicate": (lambda g, t, b: _add(g, t, (_info("index.json"), b"{}")), "more than once"),
    "tampered blob": (_tampered_layer, "not the one its name claims"),
    "manifest size lies": (_lying_manifest_size, "declares"),
    "layer size lies": (_lying_layer_size, "declares"),
    "huge index.json": (_huge_index, "refusing a document over"),
    "huge manifest.json": (_huge_docker_manifest, "refusing a document over"),
}


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_refused_and_nothing_left(
    case, conn, containerd, containerd_namespace, busybox, good, tmp_path
):
    ns = containerd_namespace
    make, message = CASES[case]
    bad = make(good, tmp_path, busybox)
    with pytest.raises(InvalidInput, match=message) as refused:
        read_archive(str(bad))
    with pytest.raises(InvalidInput, match=message) as refused:
        import_archive(conn, str(bad))
    assert str(bad) in str(refused.value)
    assert ctr_images(containerd, ns) == {}
    assert ctr_content(containerd, ns) == set()
    assert ctr_snapshots(containerd, ns) == []


def test_failure_after_writing_is_rolled_back(conn, containerd, containerd_namespace, tmp_path):
    """Every check passes, but the layer does not unpack to the config's diff ID: the blobs
    already written go away with the lease, and no image is recorded."""
    ns = containerd_namespace
    keep = busybox_image()
    import_archive(conn, str(write_oci_archive(keep, tmp_path / "keep.tar", ref_name="keep:1")))
    before = ctr_content(containerd, ns)
    before_snapshots = ctr_snapshots(containerd, ns)

    liar = busybox_image(extra_layer={"etc/extra": b"extra\n"})
    built = liar.build()
    config = json.loads(built.config.data)
    config["rootfs"]["diff_ids"][-1] = "sha256:" + "0" * 64
    config_data = json.dumps(config).encode()
    manifest = json.loads(built.manifest.data)
    manifest["config"] = {
        "mediaType": mt.OCI_CONFIG,
        "digest": _sha(config_data),
        "size": len(config_data),
    }
    manifest_data = json.dumps(manifest).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": mt.OCI_MANIFEST,
                "digest": _sha(manifest_data),
                "size": len(manifest_data),
                "annotations": {"io.containerd.image.name": REF},
            }
        ],
    }
    members = [(_info("oci-layout"), b'{"imageLayoutVersion":"1.0.0"}')]
    members.append((_info("index.json"), json.dumps(index).encode()))
    for data in [manifest_data, config_data, *(x.data for x in built.layers)]:
        members.append((_info(_blob_name(_sha(data))), data))
    bad = _write(tmp_path / "liar.tar", members)

    assert read_archive(str(bad))[0]["names"] == [REF]  # nothing a check could see
    with pytest.raises(InvalidInput, match="unpacks to"):
        import_archive(conn, str(bad))
    assert ctr_images(containerd, ns) == {"docker.io/library/keep:1": keep.digest}
    assert ctr_content(containerd, ns) == before
    assert ctr_snapshots(containerd, ns) == before_snapshots
    assert containerd.ctr("leases", "ls", "-q", namespace=ns).stdout.split() == []


def test_archive_without_names_needs_names(conn, containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    image = busybox_image()
    archive = write_oci_archive(image, tmp_path / "tag-only.tar")
    members = _members(archive)
    index = json.loads(dict((i.name, d) for i, d in members)["index.json"])
    index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "1.0"}
    bad = _write(
        tmp_path / "bad.tar",
        [(i, json.dumps(index).encode() if i.name == "index.json" else d) for i, d in members],
    )
    assert read_archive(str(bad))[0]["names"] == []
    with pytest.raises(InvalidInput, match=r"only the tag '1\.0'"):
        import_archive(conn, str(bad))
    assert ctr_content(containerd, ns) == set()
    rows = import_archive(conn, str(bad), names=["example.test/named:1.0"])
    assert ctr_images(containerd, ns) == {"example.test/named:1.0": image.digest}
    assert rows[0]["digest"] == image.digest
