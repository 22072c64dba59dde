"""The image builder on its own: determinism, layer contents, archive and index layout."""

import gzip
import io
import json
import tarfile

from harness.images import (
    ANNOTATION_CONTAINERD_NAME,
    ANNOTATION_REF_NAME,
    BUSYBOX_DELETED,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    Dir,
    File,
    Image,
    ImageConfig,
    Symlink,
    Whiteout,
    build_layer_tar,
    busybox_image,
    busybox_index,
    host_arch,
    other_arch,
    sha256_digest,
    write_docker_archive,
    write_oci_archive,
)


def _members(tar_bytes):
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


def test_build_is_deterministic():
    a, b = busybox_image().build(), busybox_image().build()
    assert a.digest == b.digest
    assert [x.digest for x in a.layers] == [x.digest for x in b.layers]
    assert len(a.layers) == 3


def test_layer_entries():
    tar = build_layer_tar(
        {
            "a/b/file": b"x",
            "a/exec": File(b"#!/bin/sh\n", 0o755, uid=1000, gid=1000),
            "a/link": Symlink("exec"),
            "d": Dir(0o1777),
            "a/gone": Whiteout(),
            "a/.wh.other": b"",
        }
    )
    m = _members(tar)
    assert set(m) == {"a", "a/b", "a/b/file", "a/exec", "a/link", "d", "a/.wh.gone", "a/.wh.other"}
    assert m["a/exec"].mode == 0o755 and m["a/exec"].uid == 1000
    assert m["a/link"].issym() and m["a/link"].linkname == "exec"
    assert m["d"].isdir() and m["d"].mode == 0o1777
    assert {x.mtime for x in m.values()} == {1700000000}


def test_busybox_whiteout_layer():
    built = busybox_image().build()
    top = _members(built.layer_tars[2])
    head, _, base = BUSYBOX_DELETED.strip("/").rpartition("/")
    assert f"{head}/.wh.{base}" in top
    assert gzip.decompress(built.layers[2].data) == built.layer_tars[2]
    assert built.diff_ids == [sha256_digest(t) for t in built.layer_tars]


def test_config_fields():
    img = Image(
        layers=[{"x": b"1"}],
        config=ImageConfig(
            entrypoint=["/bin/sh"],
            cmd=["-c", "true"],
            env=["A=1"],
            user="1000:1000",
            workdir="/w",
            labels={"l": "v"},
            exposed_ports=["80/tcp"],
        ),
        architecture="arm64",
        variant="v8",
    )
    cfg = json.loads(img.build().config.data)
    assert cfg["architecture"] == "arm64" and cfg["variant"] == "v8" and cfg["os"] == "linux"
    c = cfg["config"]
    assert c["Entrypoint"] == ["/bin/sh"] and c["Cmd"] == ["-c", "true"]
    assert c["Env"] == ["A=1"] and c["User"] == "1000:1000" and c["WorkingDir"] == "/w"
    assert c["Labels"] == {"l": "v"} and c["ExposedPorts"] == {"80/tcp": {}}
    assert cfg["rootfs"]["diff_ids"] == img.build().diff_ids


def test_oci_archive_layout(tmp_path):
    img = busybox_image()
    path = write_oci_archive(img, tmp_path / "img.tar", ref_name="example.test/a/b:v1")
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
        index = json.load(tar.extractfile("index.json"))
        assert json.load(tar.extractfile("oci-layout")) == {"imageLayoutVersion": "1.0.0"}
    desc = index["manifests"][0]
    assert desc["mediaType"] == OCI_MANIFEST and desc["digest"] == img.digest
    assert desc["annotations"] == {
        ANNOTATION_CONTAINERD_NAME: "example.test/a/b:v1",
        ANNOTATION_REF_NAME: "v1",
    }
    for blob in [img.build().manifest, *img.build().blobs()]:
        assert "blobs/sha256/" + blob.digest.split(":")[1] in names


def test_oci_archive_of_index(tmp_path):
    idx = busybox_index()
    path = write_oci_archive(idx, tmp_path / "idx.tar", ref_name="example.test/multi:1")
    with tarfile.open(path) as tar:
        index = json.load(tar.extractfile("index.json"))
        inner = json.load(tar.extractfile("blobs/sha256/" + idx.digest.split(":")[1]))
    assert index["manifests"][0]["mediaType"] == OCI_INDEX
    archs = [m["platform"]["architecture"] for m in inner["manifests"]]
    assert archs == [host_arch(), other_arch()]


def test_docker_archive_layout(tmp_path):
    img = busybox_image(media="docker")
    path = write_docker_archive(img, tmp_path / "d.tar", repo_tags=["example.test/d:1"])
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == ["example.test/d:1"]
        layer0 = tar.extractfile(manifest[0]["Layers"][0]).read()
        cfg = json.load(tar.extractfile(manifest[0]["Config"]))
    assert sha256_digest(layer0) == cfg["rootfs"]["diff_ids"][0]
    assert json.loads(img.build().manifest.data)["mediaType"] == DOCKER_MANIFEST
