"""ocirt.containerd.image_info through Ansible."""

from harness.ansible_runner import run_module
from harness.images import busybox_index, host_arch, write_oci_archive


def test_image_info_reports_what_ctr_imported(containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    archive = write_oci_archive(
        busybox, tmp_path / "bb.tar", ref_name="docker.io/library/busybox:latest"
    )
    containerd.ctr("images", "import", str(archive), namespace=ns)
    idx = busybox_index()
    multi = write_oci_archive(idx, tmp_path / "m.tar", ref_name="example.test/multi:1")
    containerd.ctr("images", "import", str(multi), namespace=ns)
    base = {"address": containerd.address, "namespace": ns}

    result = run_module(
        "ocirt.containerd.image_info", name=["busybox", "example.test/gone:1"], **base
    )
    assert result["changed"] is False and result["failed"] is False
    assert [i["name"] for i in result["images"]] == ["docker.io/library/busybox:latest"]
    image = result["images"][0]
    assert image["digest"] == busybox.digest
    assert image["unpacked"] is True
    assert image["config"]["exposed_ports"] == ["8080/tcp"]
    assert image["created_at"].endswith("Z")

    everything = run_module("ocirt.containerd.image_info", check=True, **base)
    assert [i["name"] for i in everything["images"]] == [
        "docker.io/library/busybox:latest",
        "example.test/multi:1",
    ]
    filtered = run_module("ocirt.containerd.image_info", filters=["name~=multi"], **base)
    assert [i["name"] for i in filtered["images"]] == ["example.test/multi:1"]
    assert filtered["images"][0]["platform"] == f"linux/{host_arch()}"
    assert filtered["images"][0]["digest"] == idx.digest

    both = run_module(
        "ocirt.containerd.image_info", name=["busybox"], filters=["name~=multi"], **base
    )
    assert both["images"] == []


def test_image_info_unreachable_daemon_is_a_clear_failure(tmp_path):
    result = run_module("ocirt.containerd.image_info", address=str(tmp_path / "none.sock"))
    assert result["failed"] is True
    assert "no containerd socket" in result["msg"]
