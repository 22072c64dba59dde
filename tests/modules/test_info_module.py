"""ocirt.containerd.info through Ansible, against the private daemon."""

from ansible_collections.ocirt.containerd.plugins.module_utils.api import introspection
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.ansible_runner import run_adhoc, run_module


def test_adhoc_reports_the_daemon_version_and_ctr_plugins(containerd):
    result = run_adhoc("ocirt.containerd.info", f"address={containerd.address}")
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    server = containerd.ctr("version").stdout.split("Server:", 1)[1]
    assert f"Version:  {result['version']}" in server
    ctr_plugins = {}
    for line in containerd.ctr("plugins", "ls").stdout.splitlines()[1:]:
        cols = line.split()
        ctr_plugins[(cols[0], cols[1])] = cols[-1]
    assert {(p["type"], p["id"]): p["status"] for p in result["plugins"]} == ctr_plugins
    for p in result["failed_plugins"]:
        assert p["status"] == "error" and p["error"]


def test_playbook_with_address_from_environment(containerd, containerd_namespace):
    with Connection(containerd.address) as conn:
        uuid = introspection.server_info(conn)["uuid"]
    containerd.ctr("namespaces", "create", containerd_namespace, namespace=None)
    result = run_module("ocirt.containerd.info", environ={"CONTAINERD_ADDRESS": containerd.address})
    assert result["uuid"] == uuid
    assert result["cri"]["served"] is True
    ns = next(n for n in result["namespaces"] if n["name"] == containerd_namespace)
    assert ns == {"name": containerd_namespace, "labels": {}, "images": 0, "containers": 0}


def test_check_mode_is_supported(containerd):
    result = run_module("ocirt.containerd.info", check=True, address=containerd.address)
    assert result["changed"] is False and result["version"]


def test_missing_socket_fails_with_one_message(tmp_path):
    result = run_module("ocirt.containerd.info", address=str(tmp_path / "none.sock"))
    assert result["failed"] is True
    assert result["msg"].startswith(f"there is no containerd socket at {tmp_path}/none.sock")
    assert "Traceback" not in str(result)
