"""`ocirt images|rmi|tag|image inspect|import|export` as a person runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.images import write_oci_archive

from images.support import CHECK, EXPECTED, ctr_images, ctr_run

OCIRT = str(Path(sys.executable).parent / "ocirt")


def ocirt(containerd, ns, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    return subprocess.run(
        [OCIRT, "-a", containerd.address, "-n", ns, *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_image_commands(containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/cli:1")

    imported = ocirt(containerd, ns, "image", "import", "--name", "busybox", str(archive))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == ["docker.io/library/busybox:latest", busybox.digest]
    assert (
        ctr_run(containerd, ns, "docker.io/library/busybox:latest", "cli1", "sh", "-c", CHECK)
        == EXPECTED
    )

    tagged = ocirt(containerd, ns, "tag", "busybox", "busybox:2")
    assert tagged.stdout.strip() == "docker.io/library/busybox:2: tagged"
    again = ocirt(containerd, ns, "--json", "tag", "busybox", "busybox:2")
    assert json.loads(again.stdout)["changed"] is False

    assert ocirt(containerd, ns, "images", "-q").stdout.split() == [
        "docker.io/library/busybox:2",
        "docker.io/library/busybox:latest",
    ]
    table = ocirt(containerd, ns, "images").stdout.splitlines()
    assert table[0].split() == ["NAME", "DIGEST", "SIZE", "PLATFORMS", "UNPACKED"]
    assert busybox.digest in table[1] and table[1].split()[-1] == "yes"
    listed = json.loads(ocirt(containerd, ns, "images", "--json", "--filter", "name~=:2").stdout)
    assert [r["name"] for r in listed] == ["docker.io/library/busybox:2"]

    inspected = json.loads(ocirt(containerd, ns, "image", "inspect", "busybox").stdout)
    assert inspected[0]["digest"] == busybox.digest
    assert inspected[0]["config"]["cmd"] == ["sh", "-c", "echo hello from busybox"]
    missing = ocirt(containerd, ns, "image", "inspect", "nope")
    assert missing.returncode == 1
    assert "no image 'docker.io/library/nope:latest'" in missing.stderr

    out = tmp_path / "out.tar"
    exported = ocirt(containerd, ns, "image", "export", "-o", str(out), "busybox:2", "--json")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["images"][0]["digest"] == busybox.digest
    other = f"{ns}-cli"
    try:
        containerd.ctr("images", "import", str(out), namespace=other)
        assert ctr_images(containerd, other) == {"docker.io/library/busybox:2": busybox.digest}
    finally:
        containerd.cleanup_namespace(other)

    removed = ocirt(containerd, ns, "rmi", "--sync", "busybox:2", "busybox")
    assert removed.stdout.split() == [
        "docker.io/library/busybox:2",
        "docker.io/library/busybox:latest",
    ]
    assert ctr_images(containerd, ns) == {}
    gone = ocirt(containerd, ns, "rmi", "busybox")
    assert gone.returncode == 1 and "no such image: docker.io/library/busybox:latest" in gone.stderr

    hostile = tmp_path / "hostile.tar"
    hostile.write_bytes(b"not a tar at all" * 100)
    refused = ocirt(containerd, ns, "image", "import", str(hostile))
    assert refused.returncode == 1 and refused.stderr.startswith("ocirt: ")
    assert "Traceback" not in refused.stderr


def test_rmi_refuses_an_image_containers_use(containerd, containerd_namespace, busybox, tmp_path):
    """Issue 16, defect 7: `ocirt rmi` removed an image containers use, silently. Now it
    refuses naming them and removes nothing (not even the other names given) unless -f."""
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/used:1")
    assert ocirt(containerd, ns, "image", "import", str(archive)).returncode == 0
    assert (
        ocirt(containerd, ns, "tag", "example.test/used:1", "example.test/free:1").returncode == 0
    )
    containerd.ctr("containers", "create", "example.test/used:1", "rmi-user", "true", namespace=ns)

    refused = ocirt(containerd, ns, "rmi", "example.test/free:1", "example.test/used:1")
    assert refused.returncode == 1
    assert "image example.test/used:1 is used by container rmi-user" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert sorted(ctr_images(containerd, ns)) == ["example.test/free:1", "example.test/used:1"]

    forced = ocirt(containerd, ns, "rmi", "-f", "example.test/free:1", "example.test/used:1")
    assert forced.returncode == 0, forced.stderr
    assert ctr_images(containerd, ns) == {}
    listed = containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.split()
    assert listed == ["rmi-user"]


def test_rmi_of_a_missing_name_is_not_found_even_if_a_container_names_it(
    containerd, containerd_namespace, busybox, tmp_path
):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/gone:1")
    assert ocirt(containerd, ns, "image", "import", str(archive)).returncode == 0
    containerd.ctr("containers", "create", "example.test/gone:1", "orphan", "true", namespace=ns)
    assert ocirt(containerd, ns, "rmi", "-f", "example.test/gone:1").returncode == 0
    again = ocirt(containerd, ns, "rmi", "example.test/gone:1")
    assert again.returncode == 1
    assert "no such image: example.test/gone:1" in again.stderr
