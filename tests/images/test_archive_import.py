"""Importing OCI-layout and docker-archive tarballs; containerd's ctr checks the result."""

import gzip
import io
import json
import shutil
import tarfile

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    import_archive,
    read_archive,
)
from harness.images import (
    busybox_image,
    busybox_index,
    other_arch,
    write_docker_archive,
    write_oci_archive,
)

from images.support import CHECK, EXPECTED, ctr_content, ctr_images, ctr_run, ctr_snapshots

REF = "example.test/ocirt/busybox:1"


def test_oci_archive_runs_with_ctr(conn, containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name=REF)
    predicted = read_archive(str(archive))
    assert predicted == [
        {
            "names": [REF],
            "descriptor": {
                "mediaType": busybox.build().manifest.media_type,
                "digest": busybox.digest,
                "size": busybox.build().manifest.size,
                "platform": busybox.build().platform,
            },
        }
    ]
    progress = []
    rows = import_archive(conn, str(archive), progress=lambda d, n, t: progress.append(d))
    assert len(rows) == 1
    assert rows[0]["name"] == REF and rows[0]["digest"] == busybox.digest
    assert rows[0]["chain_id"].startswith("sha256:")
    assert ctr_images(containerd, ns) == {REF: busybox.digest}
    built = busybox.build()
    expected_blobs = {built.manifest.digest, built.config.digest, *(x.digest for x in built.layers)}
    assert ctr_content(containerd, ns) == expected_blobs
    assert set(progress) >= {x.digest for x in built.layers}
    assert rows[0]["chain_id"] in ctr_snapshots(containerd, ns)
    assert containerd.ctr("leases", "ls", "-q", namespace=ns).stdout.split() == []
    assert ctr_run(containerd, ns, REF, "oci1", "sh", "-c", CHECK) == EXPECTED
    assert ctr_run(containerd, ns, REF, "oci2") == "hello from busybox\n"

    # a second import writes nothing new and keeps the digest
    again = import_archive(conn, str(archive))
    assert again == rows
    assert ctr_content(containerd, ns) == expected_blobs


def test_gzip_compressed_archive_with_names_given(
    conn, containerd, containerd_namespace, busybox, tmp_path
):
    ns = containerd_namespace
    plain = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name=REF)
    compressed = tmp_path / "bb.tar.gz"
    with open(plain, "rb") as src, gzip.open(compressed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    rows = import_archive(conn, str(compressed), names=["mine", "example.test/other:2"])
    assert [r["name"] for r in rows] == [
        "docker.io/library/mine:latest",
        "example.test/other:2",
    ]
    assert ctr_images(containerd, ns) == {
        "docker.io/library/mine:latest": busybox.digest,
        "example.test/other:2": busybox.digest,
    }
    assert ctr_run(containerd, ns, "example.test/other:2", "gz1", "sh", "-c", CHECK) == EXPECTED


def test_no_unpack_leaves_no_snapshot(conn, containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name=REF)
    rows = import_archive(conn, str(archive), snapshotter=None)
    assert rows[0]["chain_id"] == ""
    assert ctr_snapshots(containerd, ns) == []
    assert ctr_images(containerd, ns) == {REF: busybox.digest}


def test_multi_platform_index_fetches_only_this_platform(
    conn, containerd, containerd_namespace, tmp_path
):
    ns = containerd_namespace
    idx = busybox_index()
    built = idx.build()
    host, foreign = built.images
    archive = write_oci_archive(idx, tmp_path / "multi.tar", ref_name="example.test/multi:1")

    rows = import_archive(conn, str(archive))
    assert rows[0]["digest"] == idx.digest
    assert rows[0]["media_type"] == "application/vnd.oci.image.index.v1+json"
    have = ctr_content(containerd, ns)
    assert {idx.digest, host.manifest.digest, host.config.digest} <= have
    assert foreign.manifest.digest not in have and foreign.config.digest not in have
    assert ctr_run(containerd, ns, "example.test/multi:1", "m1", "sh", "-c", CHECK) == EXPECTED

    rows = import_archive(conn, str(archive), all_platforms=True)
    have = ctr_content(containerd, ns)
    assert {
        foreign.manifest.digest,
        foreign.config.digest,
        *(x.digest for x in foreign.layers),
    } <= have

    # another platform asked for explicitly: its manifest is the one written
    ns2 = f"{ns}-p"
    try:
        other = conn.with_namespace(ns2)
        rows = import_archive(
            other, str(archive), platform=f"linux/{other_arch()}", snapshotter=None
        )
        have = ctr_content(containerd, ns2)
        assert foreign.manifest.digest in have and host.manifest.digest not in have
    finally:
        containerd.cleanup_namespace(ns2)


def test_docker_archive_matches_ctr_import(conn, containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    image = busybox_image(media="docker")
    archive = write_docker_archive(image, tmp_path / "docker.tar", repo_tags=["busybox:docker"])
    name = "docker.io/library/busybox:docker"
    predicted = read_archive(str(archive))
    assert predicted[0]["names"] == [name]
    assert predicted[0]["descriptor"]["mediaType"] == (
        "application/vnd.docker.distribution.manifest.v2+json"
    )

    rows = import_archive(conn, str(archive))
    assert rows == [
        {
            "name": name,
            "digest": predicted[0]["descriptor"]["digest"],
            "media_type": predicted[0]["descriptor"]["mediaType"],
            "chain_id": rows[0]["chain_id"],
        }
    ]
    assert ctr_run(containerd, ns, name, "d1", "sh", "-c", CHECK) == EXPECTED
    # uncompressed layers keep their plain tar media type and digest (= diff ID)
    built = image.build()
    assert set(built.diff_ids) <= ctr_content(containerd, ns)

    # containerd's own importer synthesizes the very same manifest
    ns2 = f"{ns}-ctr"
    try:
        containerd.ctr("images", "import", str(archive), namespace=ns2)
        assert ctr_images(containerd, ns2)[name] == rows[0]["digest"]
    finally:
        containerd.cleanup_namespace(ns2)


def test_docker25_archive_takes_names_from_repo_tags(
    conn, containerd, containerd_namespace, busybox, tmp_path
):
    """docker 25+ writes an OCI layout plus manifest.json; the layout wins, and RepoTags name
    an image whose index.json entry carries no name."""
    ns = containerd_namespace
    layout = write_oci_archive(busybox, tmp_path / "layout.tar")  # index.json without names
    built = busybox.build()
    manifest_json = [
        {
            "Config": "blobs/sha256/" + built.config.digest.split(":")[1],
            "RepoTags": ["example.test/docker25:1"],
            "Layers": ["blobs/sha256/" + x.digest.split(":")[1] for x in built.layers],
        }
    ]
    archive = tmp_path / "docker25.tar"
    with tarfile.open(layout) as src, tarfile.open(archive, "w") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isreg() else None)
        data = json.dumps(manifest_json).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        dst.addfile(info, io.BytesIO(data))
    assert read_archive(str(archive))[0]["names"] == ["example.test/docker25:1"]
    rows = import_archive(conn, str(archive))
    assert rows[0]["digest"] == busybox.digest  # the OCI manifest, not a synthesized one
    assert ctr_images(containerd, ns) == {"example.test/docker25:1": busybox.digest}


def test_imports_what_ctr_exported(conn, containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    idx = busybox_index()
    src = f"{ns}-src"
    try:
        archive = write_oci_archive(idx, tmp_path / "in.tar", ref_name="example.test/ctrx:1")
        containerd.ctr("images", "import", str(archive), namespace=src)
        exported = tmp_path / "ctr-export.tar"
        containerd.ctr("images", "export", str(exported), "example.test/ctrx:1", namespace=src)
    finally:
        containerd.cleanup_namespace(src)
    assert read_archive(str(exported))[0]["names"] == ["example.test/ctrx:1"]
    rows = import_archive(conn, str(exported))
    assert rows[0]["digest"] == idx.digest
    assert ctr_run(containerd, ns, "example.test/ctrx:1", "cx1", "sh", "-c", CHECK) == EXPECTED


def test_names_pick_one_image_of_several(conn, containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    first, second = busybox_image(), busybox_image(extra_layer={"etc/second": b"2\n"})
    a = write_oci_archive(first, tmp_path / "a.tar", ref_name="example.test/a:1")
    b = write_oci_archive(second, tmp_path / "b.tar", ref_name="example.test/b:1")
    both = tmp_path / "both.tar"
    with tarfile.open(a) as ta, tarfile.open(b) as tb, tarfile.open(both, "w") as out:
        index = json.loads(ta.extractfile("index.json").read())
        index["manifests"] += json.loads(tb.extractfile("index.json").read())["manifests"]
        seen = set()
        for tar in (ta, tb):
            for member in tar.getmembers():
                if member.name in seen or member.name == "index.json":
                    continue
                seen.add(member.name)
                out.addfile(member, tar.extractfile(member) if member.isreg() else None)
        data = json.dumps(index).encode()
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
    assert [e["names"] for e in read_archive(str(both))] == [
        ["example.test/a:1"],
        ["example.test/b:1"],
    ]
    rows = import_archive(conn, str(both), names=["example.test/b:1"])
    assert [(r["name"], r["digest"]) for r in rows] == [("example.test/b:1", second.digest)]
    assert ctr_images(containerd, ns) == {"example.test/b:1": second.digest}
    with pytest.raises(InvalidInput, match="none or several of them are named"):
        import_archive(conn, str(both), names=["example.test/c:1"])
    assert [r["name"] for r in import_archive(conn, str(both))] == [
        "example.test/a:1",
        "example.test/b:1",
    ]
