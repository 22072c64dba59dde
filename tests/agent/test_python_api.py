"""The public Python API (``ocirt.connect()``) against the private daemon, with ctr as the
oracle of what it created; and the README's ten-line script, run as a user runs it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness.images import push, unique_image, write_oci_archive

import ocirt

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "example.test/api/busybox:1"
README_IMAGE = "registry.example:5000/team/app:1.4"


def readme_script() -> str:
    """The first python block of the README's "Python API" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "README: no python block under ## Python API"
    return found.group(1)


def test_import_ocirt_loads_nothing_until_used():
    """`import ocirt` (and so every `ocirt` command's first import) pulls in neither grpc
    nor the library; the first attribute does."""
    probe = (
        "import sys, ocirt; before = {'grpc', 'ocirt.client'} & set(sys.modules); "
        "ocirt.connect; print(sorted(before), 'ocirt.client' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[] True"


def test_readme_script(containerd, containerd_namespace, registry_http):
    digest = push(registry_http, "ocirt/apiscript", "1", unique_image("apiscript"))
    ref = f"{registry_http.host}/ocirt/apiscript:1"
    script = readme_script()
    assert README_IMAGE in script and 'namespace="demo"' in script
    assert len(script.strip().splitlines()) <= 10
    script = script.replace(README_IMAGE, ref).replace(
        'namespace="demo"', f'namespace="{containerd_namespace}"'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    env["CONTAINERD_ADDRESS"] = containerd.address
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        f"{ref} {digest} pulled",
        "[('web', 'running')]",
        "b'hi\\n' 137",
        "b'hello\\n' stopped",
    ]
    ns = containerd_namespace
    assert ref in containerd.ctr("images", "ls", "-q", namespace=ns).stdout.split()
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""


def _import(client: ocirt.Client, tmp_path: Path, busybox) -> None:
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    rows = client.images.import_archive(str(archive))
    assert [r["name"] for r in rows] == [IMAGE]


def test_containers_and_images_as_ctr_sees_them(
    containerd, containerd_namespace, busybox, tmp_path
):
    ns = containerd_namespace
    with ocirt.connect(address=containerd.address, namespace=ns) as client:
        _import(client, tmp_path, busybox)
        image = client.images.get(IMAGE)
        assert image.unpacked and [i.name for i in client.images.list()] == [IMAGE]
        assert IMAGE in containerd.ctr("images", "ls", "-q", namespace=ns).stdout.split()

        box = client.containers.run(
            IMAGE, ["sleep", "1000"], name="box", env={"A": "1"}, labels={"tier": "web"}
        )
        assert (box.name, box.image, box.status, box.labels["tier"]) == (
            "box",
            IMAGE,
            "running",
            "web",
        )
        assert box.attrs["config"]["env"] == {"A": "1"}
        tasks = containerd.ctr("tasks", "ls", namespace=ns).stdout
        assert re.search(rf"^box\s+{box.pid}\s+RUNNING$", tasks, re.MULTILINE), tasks
        assert box.exec(["sh", "-c", "echo $A"])["stdout"] == b"1\n"
        assert [c.name for c in client.containers.list()] == ["box"]

        with pytest.raises(ocirt.AlreadyExists):
            client.containers.create(IMAGE, name="box")
        with pytest.raises(ocirt.InvalidInput, match="memry"):
            client.containers.create(IMAGE, name="other", memry="64m")
        with pytest.raises(ocirt.NotFound):
            client.containers.get("nothing")

        assert box.stop(timeout=1) == 137
        assert box.reload().status == "stopped" and box.exit_code == 137
        assert client.containers.list() == [] and len(client.containers.list(all=True)) == 1
        exported = client.images.export(IMAGE, str(tmp_path / "out.tar"))
        assert exported["images"][0]["name"] == IMAGE and (tmp_path / "out.tar").stat().st_size
        assert box.remove() and not client.containers.remove("box")
        assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""
        assert client.images.remove(IMAGE) == {"removed": [IMAGE], "not_found": []}
        assert containerd.ctr("images", "ls", "-q", namespace=ns).stdout.strip() == ""


def test_a_dead_socket_is_one_clear_error(tmp_path):
    with ocirt.connect(address=str(tmp_path / "none.sock")) as client:
        with pytest.raises(ocirt.DaemonUnavailable, match="there is no containerd socket"):
            client.version()
