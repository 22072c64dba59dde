"""The containerd role's offline sandbox image: with the image gone from k8s.io, the role's
task imports it from an archive under the configured name, and a pod runs again."""

from __future__ import annotations

from harness.ansible_runner import run_playbook
from harness.cri import TEST_SANDBOX_IMAGE, pause_image
from harness.images import write_docker_archive

from .conftest import BUSYBOX


def test_role_imports_the_sandbox_image_for_offline_pods(cri, pod_name, tmp_path):
    archive = write_docker_archive(
        pause_image(), tmp_path / "pause.tar", repo_tags=[TEST_SANDBOX_IMAGE]
    )
    cri.ctr("images", "rm", TEST_SANDBOX_IMAGE, namespace="k8s.io")
    role_vars = {
        "containerd_address": cri.address,
        "containerd_sandbox_image": TEST_SANDBOX_IMAGE,
        "containerd_sandbox_image_archive": str(archive),
        "containerd_registry_config_path": str(cri.hosts_dir),
    }
    pod = {
        "address": cri.address,
        "name": pod_name,
        "network": "host",
        "log_directory": str(tmp_path / "logs"),
        "containers": [{"name": "app", "image": BUSYBOX, "command": ["sleep", "60"]}],
    }
    *included, started, _ = run_playbook(
        [
            {
                "name": "role task",
                "ansible.builtin.include_role": {
                    "name": "ocirt.containerd.containerd",
                    "tasks_from": "sandbox_image",
                },
                "vars": role_vars,
            },
            {
                "name": "role task again",
                "ansible.builtin.include_role": {
                    "name": "ocirt.containerd.containerd",
                    "tasks_from": "sandbox_image",
                },
                "vars": role_vars,
            },
            {"name": "a pod", "ocirt.containerd.pod": pod},
            {"name": "gone", "ocirt.containerd.pod": {**pod, "state": "absent"}},
        ]
    )
    assert TEST_SANDBOX_IMAGE in cri.ctr("images", "ls", "-q", namespace="k8s.io").stdout
    imports = [r for r in included if "actions" in r]  # the image task's results
    assert [r["changed"] for r in imports] == [True, False], included
    assert started.get("changed") is True and started["pod"]["state"] == "ready", started
