"""A state document that imports its pod's image (an air-gapped node: the image comes from
an archive) and declares the pod with ``pull: never``, against the private CRI: planned by
``ocirt diff`` and the state module's check mode (the pod's image from the document's
images entry), applied, then nothing to do. A pod naming an image nobody provides is
refused with the pod, the container and the image named; the pod module likewise."""

from __future__ import annotations

import json
import secrets
from typing import Any, Dict, Iterator

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import reconciler
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.desired import from_options
from cli.test_ocirt_cli import ocirt
from harness.ansible_runner import run_module
from harness.images import busybox_image, write_oci_archive
from pods.test_state_pods import _sandboxes


@pytest.fixture
def image_name(cri) -> Iterator[str]:
    """A name no image of the daemon has yet; removed from k8s.io afterwards."""
    name = f"localhost/ocirt-test/airgap-{secrets.token_hex(3)}:1"
    yield name
    cri.ctr("images", "rm", name, namespace="k8s.io", check=False)


def _pod(name: str, image: str) -> Dict[str, Any]:
    return {
        "name": name,
        "network": "host",
        "pull": "never",
        "containers": [{"name": "app", "image": image, "command": ["sleep", "600"]}],
    }


def test_a_pod_uses_the_image_its_document_imports(cri, cri_conn, pod_name, image_name, tmp_path):
    archive = write_oci_archive(busybox_image(), tmp_path / "app.tar", ref_name=image_name)
    images = [{"name": image_name, "namespace": "k8s.io", "archive_path": str(archive)}]
    document = {"images": images, "pods": [_pod(pod_name, image_name)]}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document))
    env = {"CONTAINERD_ADDRESS": cri.address}

    planned = ocirt("diff", "-f", str(path), "--json", env=env)
    assert planned.returncode == 2, planned.stderr
    entries = {e["kind"]: e for e in json.loads(planned.stdout)["entries"]}
    assert (entries["image"]["path"], entries["image"]["change"]) == ("images[0]", "import")
    assert entries["pod"]["change"] == "create"
    assert entries["pod"]["reason"] == f"pod does not exist; image {image_name} from images[0]"
    args = {"address": cri.address, "namespace": "k8s.io", "state": document}
    predicted = run_module("ocirt.containerd.state", check=True, **args)
    assert predicted["changed"] is True and not predicted.get("failed"), predicted
    assert _sandboxes(cri_conn, pod_name) == []

    applied = ocirt("apply", "-f", str(path), env=env)
    assert applied.returncode == 0, applied.stderr
    made = _sandboxes(cri_conn, pod_name)
    assert len(made) == 1
    again = run_module("ocirt.containerd.state", **args)
    assert again["changed"] is False and not again.get("failed"), again
    assert _sandboxes(cri_conn, pod_name) == made


def test_a_pod_on_an_image_nobody_provides_is_refused(cri, pod_name, image_name, tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"pods": [_pod(pod_name, image_name)]}))
    refused = ocirt("diff", "-f", str(path), env={"CONTAINERD_ADDRESS": cri.address})
    assert refused.returncode == 1, refused
    assert (
        f"pods[0] (pod default/{pod_name}, container app): image {image_name} is not present "
        "and pull=never forbids pulling it (no images entry provides it in k8s.io)"
    ) in refused.stderr


def test_the_pod_module_names_the_pod_and_container_of_a_missing_image(
    cri_conn, pod_name, image_name
):
    desired = from_options(_pod(pod_name, image_name))
    with pytest.raises(InvalidInput) as refused:
        reconciler.plan(cri_conn, desired)
    assert str(refused.value) == (
        f"pod default/{pod_name}, container app: image {image_name} is not present and "
        "pull=never forbids pulling it"
    )
