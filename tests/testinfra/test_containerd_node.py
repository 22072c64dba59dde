"""A containerd node: service, socket, declared configuration, a running container."""

from __future__ import annotations

from typing import Any, Dict

import pytest
import tomlkit

CONFIG = "/etc/containerd/config.toml"
SOCKET = "/run/containerd/containerd.sock"


def systemd_is_init(host: Any) -> bool:
    return host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_service_active_and_enabled(host: Any) -> None:
    if not systemd_is_init(host):
        # The documented fallback where PID 1 is not systemd: a detached daemon.
        assert host.process.filter(comm="containerd"), "no containerd process"
        pytest.skip("PID 1 is not systemd: checked the containerd process only")
    svc = host.service("containerd")
    assert svc.is_running
    assert svc.is_enabled


def test_socket_answers(host: Any) -> None:
    assert host.file(SOCKET).is_socket
    out = host.check_output("ctr --address %s version", SOCKET)
    server = out.split("Server:", 1)[1]
    assert "Version:" in server, out


def test_ocirt_info_module(host: Any) -> None:
    if not host.backend.HAS_RUN_ANSIBLE:
        pytest.skip("needs the Ansible connection")
    res = host.ansible("ocirt.containerd.info", check=False)
    assert not res.get("failed"), res
    assert "version" in str(res).lower()


def _config(host: Any) -> Dict[str, Any]:
    return tomlkit.parse(host.file(CONFIG).content_string).unwrap()


def _cri_runtime(doc: Dict[str, Any]) -> Dict[str, Any]:
    plugins = doc.get("plugins", {})
    cri = plugins.get("io.containerd.grpc.v1.cri") or plugins.get("io.containerd.cri.v1.runtime")
    assert cri, f"no CRI runtime plugin table in {CONFIG}"
    return cri


def test_config_holds_declared_options(host: Any, declared: Any) -> None:
    options = declared.need("containerd_config_options")
    doc = _config(host)
    if "debug_level" in options:
        assert doc.get("debug", {}).get("level") == options["debug_level"]
    if "oom_score" in options:
        assert doc.get("oom_score") == options["oom_score"]
    if "disabled_plugins" in options:
        assert set(options["disabled_plugins"]) <= set(doc.get("disabled_plugins", []))


def test_config_holds_profile(host: Any, declared: Any) -> None:
    profile = declared.need("containerd_profile")
    doc = _config(host)
    if profile == "kubernetes-node":
        runc = _cri_runtime(doc)["containerd"]["runtimes"]["runc"]["options"]
        want = declared.get("containerd_systemd_cgroup", True)
        assert runc.get("SystemdCgroup") is want
    else:
        assert "io.containerd.grpc.v1.cri" in doc.get("disabled_plugins", [])


def test_kubernetes_node_kernel_settings(host: Any, declared: Any) -> None:
    if declared.need("containerd_profile") != "kubernetes-node":
        pytest.skip("not a Kubernetes node")
    if not systemd_is_init(host):
        pytest.skip("PID 1 is not systemd (a container or CI): no kernel of its own")
    modules = host.file("/proc/modules").content_string
    for mod in ("overlay", "br_netfilter"):
        assert f"\n{mod} " in "\n" + modules, f"{mod} is not loaded"
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.bridge.bridge-nf-call-iptables") == 1


def test_container_runs(host: Any, declared: Any) -> None:
    ns = declared.need("ocirt_test_namespace")
    name = declared.need("ocirt_test_container")
    tasks = host.check_output("ctr -n %s tasks ls", ns).splitlines()[1:]
    status = {cols[0]: cols[2] for cols in (line.split() for line in tasks) if len(cols) >= 3}
    assert status.get(name) == "RUNNING", tasks
    out = host.check_output(
        "ctr -n %s tasks exec --exec-id testinfra-probe %s cat /etc/ocirt/release", ns, name
    )
    assert out.strip()


def test_kernel_modules_loadable(host: Any) -> None:
    if not systemd_is_init(host):
        pytest.skip("PID 1 is not systemd (a container or CI): no kernel modules of its own")
    for mod in ("overlay", "br_netfilter"):
        assert host.run("modinfo -n %s", mod).rc == 0, f"{mod} is not loadable"


def test_managed_node_python_dependencies(host: Any) -> None:
    # The collection's module_utils need grpcio, and tomlkit for configuration work; the VM
    # base image carries them as Debian packages (python3-grpcio, python3-tomlkit).
    python = host.find_command("python3")
    res = host.run("%s -c 'import grpc, tomlkit; print(grpc.__version__)'", python)
    assert res.rc == 0, res.stderr
