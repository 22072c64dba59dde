"""Inspect, list, tag and remove; compared with what ctr and the CRI report."""

import time

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import leases
from ansible_collections.ocirt.containerd.plugins.module_utils.api.cri_images import (
    list_cri_images,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.api.images import (
    list_images as records,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import NotFound
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    import_archive,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.inspect import (
    inspect_image,
    list_images,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.manage import (
    remove_image,
    tag_image,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.images import (
    BUSYBOX_ENV,
    DEFAULT_PATH,
    FIXED_CREATED,
    busybox_image,
    busybox_index,
    host_arch,
    other_arch,
    write_docker_archive,
    write_oci_archive,
)

from images.support import ctr_content, ctr_images

REF = "example.test/ocirt/inspect:1"


def _human(size):
    """ctr's size column (progress.Bytes): one decimal, binary units."""
    units = ["B", "KiB", "MiB", "GiB"]
    value, i = float(size), 0
    while value >= 1024 and i < len(units) - 1:
        value, i = value / 1024, i + 1
    return f"{value:.1f} {units[i]}" if i else f"{int(value)} B"


def _ctr_size(containerd, ns, name):
    for line in containerd.ctr("images", "ls", namespace=ns).stdout.splitlines()[1:]:
        cols = line.split()
        if cols[0] == name:
            return f"{cols[3]} {cols[4]}"
    raise AssertionError(f"{name} not listed by ctr")


def test_inspect_what_ocirt_imported(conn, containerd, containerd_namespace, busybox, tmp_path):
    import_archive(conn, str(write_oci_archive(busybox, tmp_path / "a.tar", ref_name=REF)))
    view = inspect_image(conn, REF)
    built = busybox.build()
    assert view["name"] == REF and view["digest"] == busybox.digest
    assert view["manifest_digest"] == busybox.digest
    assert view["platform"] == f"linux/{host_arch()}"
    assert view["platforms"] == [
        {"platform": f"linux/{host_arch()}", "digest": busybox.digest, "present": True}
    ]
    assert view["size"] == built.manifest.size + built.config.size + sum(
        x.size for x in built.layers
    )
    assert _human(view["size"]) == _ctr_size(containerd, containerd_namespace, REF)
    assert view["created"] == FIXED_CREATED
    assert view["config"] == {
        "entrypoint": None,
        "cmd": ["sh", "-c", "echo hello from busybox"],
        "env": [DEFAULT_PATH, BUSYBOX_ENV],
        "user": "",
        "working_dir": "/",
        "exposed_ports": ["8080/tcp"],
        "labels": {"org.ocirt.test": "busybox"},
        "stop_signal": "",
        "volumes": [],
    }
    assert [(x["digest"], x["diff_id"], x["size"]) for x in view["layers"]] == [
        (blob.digest, diff_id, blob.size) for blob, diff_id in zip(built.layers, built.diff_ids)
    ]
    assert view["unpacked"] is True
    assert view["unpacked_size"] > len(open("/bin/busybox", "rb").read())
    assert view["created_at"] is not None and view["updated_at"] >= view["created_at"]


def test_inspect_what_ctr_imported(conn, containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    idx = busybox_index()
    host = idx.build().images[0]
    containerd.ctr(
        "images",
        "import",
        str(write_oci_archive(idx, tmp_path / "m.tar", ref_name=REF)),
        namespace=ns,
    )
    # ctr writes every blob of the archive under a lease and leaves the other platform's to
    # the next GC: run one (dropping a lease with sync does) so the store is settled
    leases.delete_lease(conn, leases.create_lease(conn), sync=True)
    view = inspect_image(conn, REF)
    assert view["digest"] == idx.digest and view["manifest_digest"] == host.digest
    assert {p["platform"]: p["present"] for p in view["platforms"]} == {
        f"linux/{host_arch()}": True,
        f"linux/{other_arch()}": False,
    }
    assert view["unpacked"] is True
    assert view["config"]["env"] == [DEFAULT_PATH, BUSYBOX_ENV]
    assert _human(view["size"]) == _ctr_size(containerd, ns, REF)

    docker = busybox_image(media="docker")
    containerd.ctr(
        "images",
        "import",
        str(write_docker_archive(docker, tmp_path / "d.tar", ["example.test/d:1"])),
        namespace=ns,
    )
    dview = inspect_image(conn, "example.test/d:1")
    assert dview["media_type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert [x["diff_id"] for x in dview["layers"]] == docker.build().diff_ids
    assert dview["unpacked"] is True

    listed = list_images(conn)
    assert [r["name"] for r in listed] == ["example.test/d:1", REF]
    assert listed[1]["platforms"] == [f"linux/{host_arch()}", f"linux/{other_arch()}"]
    assert [r["name"] for r in list_images(conn, ["name~=inspect"])] == [REF]

    with pytest.raises(NotFound, match=f"no image 'example.test/missing:1' in namespace '{ns}'"):
        inspect_image(conn, "example.test/missing:1")


def test_tag_and_remove(conn, containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    import_archive(conn, str(write_oci_archive(busybox, tmp_path / "a.tar", ref_name=REF)))
    assert tag_image(conn, REF, "example.test/tagged:2") is True
    assert ctr_images(containerd, ns) == {
        REF: busybox.digest,
        "example.test/tagged:2": busybox.digest,
    }
    assert tag_image(conn, REF, "example.test/tagged:2") is False

    other = busybox_image(extra_layer={"etc/other": b"other\n"})
    import_archive(
        conn, str(write_oci_archive(other, tmp_path / "o.tar", ref_name="example.test/o:1"))
    )
    assert tag_image(conn, "example.test/o:1", "example.test/tagged:2") is True  # retag moves it
    assert ctr_images(containerd, ns)["example.test/tagged:2"] == other.digest
    with pytest.raises(NotFound, match="to tag"):
        tag_image(conn, "example.test/none:1", "example.test/x:1")

    assert remove_image(conn, "example.test/tagged:2") is True
    assert remove_image(conn, "example.test/tagged:2") is False
    assert other.build().layers[-1].digest in ctr_content(containerd, ns)  # still named by o:1
    assert remove_image(conn, "example.test/o:1", sync=True) is True
    assert other.build().layers[-1].digest not in ctr_content(containerd, ns)  # collected
    assert busybox.build().layers[-1].digest in ctr_content(containerd, ns)


def test_cri_lists_an_imported_image(containerd, busybox, tmp_path):
    name = f"example.test/ocirt/cri-{containerd.series.replace('.', '-')}:1"
    archive = write_oci_archive(busybox, tmp_path / "cri.tar", ref_name=name)
    with Connection(containerd.address, namespace="k8s.io") as conn:
        try:
            import_archive(conn, str(archive))
            deadline = time.monotonic() + 10
            seen = []
            while time.monotonic() < deadline:
                seen = [i for i in list_cri_images(conn) if name in i["repo_tags"]]
                if seen:
                    break
                time.sleep(0.2)
            assert seen, "the CRI never listed the image"
            assert seen[0]["id"] == busybox.build().config.digest
            assert seen[0]["size"] > 0
            assert [i["id"] for i in list_cri_images(conn, name)] == [seen[0]["id"]]
        finally:
            for record in records(conn):
                if record["target"]["digest"] == busybox.digest:
                    remove_image(conn, record["name"], sync=True)
