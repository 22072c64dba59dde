"""Images built by the harness, imported with `ctr images import`, run with `ctr run`."""

import pytest
from harness.images import (
    BUSYBOX_DELETED,
    BUSYBOX_LAYER3_FILE,
    DEFAULT_PATH,
    ImageConfig,
    busybox_image,
    busybox_index,
    write_docker_archive,
    write_oci_archive,
)

CHECK = (
    f"test ! -e {BUSYBOX_DELETED} && echo whiteout-ok; "
    f"cat {BUSYBOX_LAYER3_FILE}; cat /etc/ocirt/release; echo env=$OCIRT_IMAGE"
)
EXPECTED = "whiteout-ok\nlayer 3\nocirt-test-image layer2\nenv=busybox\n"


def _run(containerd, ns, ref, name, *cmd, **kw):
    return containerd.ctr("run", "--rm", *kw.pop("flags", ()), ref, name, *cmd, namespace=ns, **kw)


@pytest.mark.parametrize("fmt", ["oci", "docker"])
def test_import_and_run(containerd, containerd_namespace, tmp_path, fmt):
    ns = containerd_namespace
    ref = f"example.test/ocirt/busybox:{fmt}"
    if fmt == "oci":
        img = busybox_image()
        archive = write_oci_archive(img, tmp_path / "img.tar", ref_name=ref)
    else:
        img = busybox_image(media="docker")
        archive = write_docker_archive(img, tmp_path / "img.tar", repo_tags=[ref])
    containerd.ctr("images", "import", str(archive), namespace=ns)
    listing = containerd.ctr("images", "ls", namespace=ns).stdout
    assert ref in listing
    if fmt == "oci":  # ctr synthesizes a docker manifest for docker archives
        assert img.digest in listing

    assert _run(containerd, ns, ref, "default-cmd").stdout == "hello from busybox\n"
    assert _run(containerd, ns, ref, "echo", "echo", "hello").stdout == "hello\n"
    assert _run(containerd, ns, ref, "checks", "sh", "-c", CHECK).stdout == EXPECTED


def test_config_user_workdir_entrypoint(containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    img = busybox_image(
        config=ImageConfig(
            entrypoint=["/bin/sh", "-c"],
            cmd=['echo "$(id -u):$(id -g) $(pwd) $GREETING"'],
            env=[DEFAULT_PATH, "GREETING=hi"],
            user="app",
            workdir="/home/app",
        )
    )
    ref = "example.test/ocirt/busybox:user"
    containerd.ctr(
        "images",
        "import",
        str(write_oci_archive(img, tmp_path / "u.tar", ref_name=ref)),
        namespace=ns,
    )
    assert _run(containerd, ns, ref, "u1").stdout == "1000:1000 /home/app hi\n"


def test_import_multi_platform_archive(containerd, containerd_namespace, tmp_path):
    ns = containerd_namespace
    idx = busybox_index()
    ref = "example.test/ocirt/busybox:multi"
    containerd.ctr(
        "images",
        "import",
        str(write_oci_archive(idx, tmp_path / "m.tar", ref_name=ref)),
        namespace=ns,
    )
    listing = containerd.ctr("images", "ls", namespace=ns).stdout
    assert idx.digest in listing
    assert _run(containerd, ns, ref, "m1", "echo", "multi").stdout == "multi\n"
