"""Exported archives are accepted by `ctr images import` and by ocirt's own import."""

import json
import os
import tarfile

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
    NotFound,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_export import (
    export_images,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    import_archive,
)
from harness.images import busybox_index, other_arch, write_oci_archive

from images.support import CHECK, EXPECTED, ctr_content, ctr_images, ctr_run

REF = "example.test/ocirt/export:1"


def _index_json(path):
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile("index.json").read()), sorted(tar.getnames())


@pytest.fixture
def other_ns(containerd, containerd_namespace):
    ns = f"{containerd_namespace}-x"
    yield ns
    containerd.cleanup_namespace(ns)


def test_ctr_imports_what_ocirt_exports(
    conn, containerd, containerd_namespace, other_ns, busybox, tmp_path
):
    import_archive(conn, str(write_oci_archive(busybox, tmp_path / "in.tar", ref_name=REF)))
    out = tmp_path / "out.tar"
    out.write_bytes(b"old contents are replaced atomically")
    result = export_images(conn, [REF], str(out))
    assert result["images"] == [
        {
            "name": REF,
            "digest": busybox.digest,
            "media_type": "application/vnd.oci.image.manifest.v1+json",
            "source_digest": busybox.digest,
            "platforms": [],
            "note": "",
        }
    ]
    assert result["size"] == out.stat().st_size
    assert sorted(os.listdir(tmp_path)) == ["in.tar", "out.tar"]  # no temporary file left
    index, names = _index_json(out)
    assert index["manifests"][0]["annotations"] == {
        "io.containerd.image.name": REF,
        "org.opencontainers.image.ref.name": "1",
    }
    built = busybox.build()
    blobs = {built.manifest.digest, built.config.digest, *(x.digest for x in built.layers)}
    assert {n for n in names if n.startswith("blobs/sha256/") and len(n) > 20} == {
        "blobs/sha256/" + d.split(":")[1] for d in blobs
    }

    containerd.ctr("images", "import", str(out), namespace=other_ns)
    assert ctr_images(containerd, other_ns) == {REF: busybox.digest}
    assert ctr_run(containerd, other_ns, REF, "exp1", "sh", "-c", CHECK) == EXPECTED

    # and round trip through ocirt keeps the digest
    rows = import_archive(conn.with_namespace(other_ns), str(out), names=["example.test/again:1"])
    assert rows[0]["digest"] == busybox.digest
    # the same images give the same bytes
    again = tmp_path / "again.tar"
    export_images(conn, [REF], str(again))
    assert again.read_bytes() == out.read_bytes()


def test_index_fully_present_is_exported_as_index(
    conn, containerd, containerd_namespace, other_ns, tmp_path
):
    idx = busybox_index()
    archive = write_oci_archive(idx, tmp_path / "in.tar", ref_name=REF)
    import_archive(conn, str(archive), all_platforms=True)
    out = tmp_path / "all.tar"
    result = export_images(conn, [REF], str(out), all_platforms=True)
    assert result["images"][0]["digest"] == idx.digest and result["images"][0]["note"] == ""
    containerd.ctr("images", "import", "--all-platforms", str(out), namespace=other_ns)
    assert ctr_images(containerd, other_ns) == {REF: idx.digest}
    foreign = idx.build().images[1]
    assert foreign.manifest.digest in ctr_content(containerd, other_ns)

    # one platform of a complete index: the index with only that platform's blobs, as ctr
    # exports it; ctr imports it for this platform
    one = tmp_path / "one.tar"
    result = export_images(conn, [REF], str(one))
    assert result["images"][0]["digest"] == idx.digest
    assert result["images"][0]["platforms"] == [
        f"linux/{idx.build().images[0].platform['architecture']}"
    ]
    _, names = _index_json(one)
    assert "blobs/sha256/" + foreign.manifest.digest.split(":")[1] not in names
    third = f"{other_ns}-1"
    try:
        containerd.ctr("images", "import", str(one), namespace=third)
        assert ctr_images(containerd, third) == {REF: idx.digest}
        assert ctr_run(containerd, third, REF, "one1", "sh", "-c", CHECK) == EXPECTED
    finally:
        containerd.cleanup_namespace(third)


def test_partly_present_index_exports_present_manifest(
    conn, containerd, containerd_namespace, other_ns, tmp_path
):
    idx = busybox_index()
    host, foreign = idx.build().images
    import_archive(conn, str(write_oci_archive(idx, tmp_path / "in.tar", ref_name=REF)))
    assert foreign.manifest.digest not in ctr_content(containerd, containerd_namespace)

    out = tmp_path / "partial.tar"
    result = export_images(conn, [REF], str(out), all_platforms=True)
    image = result["images"][0]
    assert image["digest"] == host.digest and image["source_digest"] == idx.digest
    assert "only partly present" in image["note"] and other_arch() in image["note"]
    index, _ = _index_json(out)
    assert [m["digest"] for m in index["manifests"]] == [host.digest]
    assert index["manifests"][0]["platform"]["architecture"] == host.platform["architecture"]

    containerd.ctr("images", "import", str(out), namespace=other_ns)
    assert ctr_images(containerd, other_ns) == {REF: host.digest}
    assert ctr_run(containerd, other_ns, REF, "part1", "sh", "-c", CHECK) == EXPECTED

    with pytest.raises(InvalidInput, match="no manifest for linux/" + other_arch()):
        export_images(conn, [REF], str(tmp_path / "none.tar"), platform=f"linux/{other_arch()}")
    assert not (tmp_path / "none.tar").exists()


def test_missing_image_writes_nothing(conn, tmp_path):
    with pytest.raises(NotFound, match=r"no image 'example\.test/nope:1'"):
        export_images(conn, ["example.test/nope:1"], str(tmp_path / "x.tar"))
    assert os.listdir(tmp_path) == []
