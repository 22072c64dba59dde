"""Workloads, registries, install method and network isolation of a containerd node.

Each check is driven by Ansible variables of the host (or OCIRT_TESTINFRA_VARS), fails when
its variable is not declared and is skipped when it is declared null (conftest.py):

- ocirt_test_containers: container names in ocirt_test_namespace that must be RUNNING
  (polled up to 60 s: after a reboot containerd's restart monitor starts them, every 10 s)
- ocirt_test_absent_containers: names that must not exist in that namespace
- ocirt_test_images: image references that must be in that namespace
- ocirt_test_registry_prefix + ocirt_test_registry_images: a hosts.toml under
  /etc/containerd/certs.d/<prefix...>/ with server http(s)://<that host>, and each
  repository:tag present as <that host>/<repository:tag> (the port is chosen at run time,
  so the inventory carries only the prefix)
- ocirt_test_install_method: archive (binaries under /usr/local, no containerd package,
  ocirt's install manifest) or package
- ocirt_test_offline: the node has no route beyond QEMU's user network (no package mirror)
- ocirt_test_hostname: the node's host name
- ocirt_test_addresses: [{container, interface, address}]: the container (in
  ocirt_test_namespace) has that IPv4 address on that interface, as its own `ip` shows it
  (polled, as above); a literal address, so the verify after the containerd restart and the
  reboot checks that it is the same
- ocirt_test_http: [{port, body}]: an HTTP GET from the controller to that TCP port of the
  node (through the VM's forwarded port, conftest.forwarded) answers 200 with `body` in it
  (polled up to 90 s: after a boot, ocirt-apply.service sets the networks up again)
- ocirt_test_agent + ocirt_test_state_documents: `python3 AGENT diff -f DOC` exits 0 on the
  node for each document (the node is as the state document declares)
"""

from __future__ import annotations

import functools
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

import pytest
import tomlkit

CERTS_D = "/etc/containerd/certs.d"


def _task_status(host: Any, ns: str) -> Dict[str, str]:
    tasks = host.check_output("ctr -n %s tasks ls", ns).splitlines()[1:]
    return {c[0]: c[2] for c in (line.split() for line in tasks) if len(c) >= 3}


def _images(host: Any, ns: str) -> List[str]:
    return host.check_output("ctr -n %s images ls -q", ns).split()


def test_containers_running(host: Any, declared: Any) -> None:
    ns = declared.need("ocirt_test_namespace")
    names = declared.need("ocirt_test_containers")
    deadline = time.monotonic() + 60
    while True:
        status = _task_status(host, ns)
        missing = [n for n in names if status.get(n) != "RUNNING"]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert not missing, f"not running: {missing}; tasks: {status}"
    for name in names:
        info = host.check_output("ctr -n %s containers info %s", ns, name)
        assert "containerd.io/restart.status" in info, f"{name} has no restart policy"


def test_absent_containers(host: Any, declared: Any) -> None:
    ns = declared.need("ocirt_test_namespace")
    names = declared.need("ocirt_test_absent_containers")
    have = host.check_output("ctr -n %s containers ls -q", ns).split()
    assert not set(names) & set(have), have


def test_images_present(host: Any, declared: Any) -> None:
    ns = declared.need("ocirt_test_namespace")
    images = _images(host, ns)
    for ref in declared.need("ocirt_test_images"):
        assert ref in images, images


def _registry_hosts(host: Any, prefix: str) -> List[str]:
    if not host.file(CERTS_D).is_directory:
        return []
    return [d for d in host.file(CERTS_D).listdir() if d.startswith(prefix)]


def test_registry_hosts_toml(host: Any, declared: Any) -> None:
    prefix = declared.need("ocirt_test_registry_prefix")
    hosts = _registry_hosts(host, prefix)
    assert hosts, f"no {CERTS_D}/{prefix}*/hosts.toml"
    for h in hosts:
        doc = tomlkit.parse(host.file(f"{CERTS_D}/{h}/hosts.toml").content_string).unwrap()
        assert doc.get("server") in (f"http://{h}", f"https://{h}"), doc


def test_registry_images_pulled(host: Any, declared: Any) -> None:
    ns = declared.need("ocirt_test_namespace")
    prefix = declared.need("ocirt_test_registry_prefix")
    wanted = declared.need("ocirt_test_registry_images")
    images = _images(host, ns)
    for h in _registry_hosts(host, prefix) or pytest.fail("no registry hosts.toml"):
        for ref in wanted:
            assert f"{h}/{ref}" in images, images


def test_install_method(host: Any, declared: Any) -> None:
    method = declared.need("ocirt_test_install_method")
    pkg = host.package("containerd")
    if method == "archive":
        assert not pkg.is_installed, "the containerd package is installed"
        for path in (
            "/usr/local/bin/containerd",
            "/usr/local/bin/ctr",
            "/usr/local/bin/containerd-shim-runc-v2",
        ):
            assert host.file(path).is_file, path
        assert host.file("/var/lib/ocirt/install.json").is_file
        unit = host.file("/etc/systemd/system/containerd.service").content_string
        assert "/usr/local/bin/containerd" in unit
    else:
        assert pkg.is_installed


def test_offline(host: Any, declared: Any) -> None:
    if not declared.need("ocirt_test_offline"):
        pytest.skip("not an offline node")
    # no route to anywhere but QEMU's user network (the host, 10.0.2.2, and its DNS)
    assert host.run("ip route get 192.0.2.1").rc != 0, host.check_output("ip route")
    assert host.run("ip route get 10.0.2.2").rc == 0
    # and so APT reaches no mirror: every index fetch fails at once (nothing is changed)
    res = host.run("apt-get -q -o Acquire::Retries=0 -o Acquire::http::Timeout=5 update")
    out = res.stdout + res.stderr
    assert "Err:" in out or "Failed to fetch" in out, out
    assert "Hit:" not in out and "Get:" not in out, out


def test_hostname(host: Any, declared: Any) -> None:
    name = declared.need("ocirt_test_hostname")
    assert host.check_output("hostname") == name


def _address_missing(host: Any, ns: str, want: Dict[str, str]) -> Optional[str]:
    name, ifname = want["container"], want["interface"]
    res = host.run(
        "ctr -n %s tasks exec --exec-id testinfra-ip-%s %s ip -4 -o addr show dev %s",
        ns,
        ifname,
        name,
        ifname,
    )
    words = res.stdout.split()
    have = [words[i + 1].split("/")[0] for i, w in enumerate(words[:-1]) if w == "inet"]
    if res.rc == 0 and want["address"] in have:
        return None
    return f"wanted {want['address']} on {ifname} of {name}; has {have or res.stderr.strip()}"


def test_container_addresses(host: Any, declared: Any, eventually: Any) -> None:
    ns = declared.need("ocirt_test_namespace")
    for want in declared.need("ocirt_test_addresses"):
        wrong = eventually(functools.partial(_address_missing, host, ns, want), 60)
        assert wrong is None, wrong


#: Straight to the address: a proxy from the environment must not take 127.0.0.1 elsewhere.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_wrong(address: str, port: int, body: str) -> Optional[str]:
    try:
        with _DIRECT.open(f"http://{address}:{port}/", timeout=5) as res:
            got = f"{res.status} {res.read(4096).decode(errors='replace')}"
    except (OSError, urllib.error.URLError) as e:
        got = f"error {e}"
    return None if got.startswith("200 ") and body in got else got


def test_http_from_the_controller(
    host: Any, declared: Any, forwarded: Any, eventually: Any
) -> None:
    for want in declared.need("ocirt_test_http"):
        address, port = forwarded(int(want["port"]))
        wrong = eventually(functools.partial(_http_wrong, address, port, want["body"]), 90)
        assert wrong is None, f"node port {want['port']} (controller {address}:{port}): {wrong!r}"


def test_state_documents_converged(host: Any, declared: Any) -> None:
    docs = declared.need("ocirt_test_state_documents")
    agent = declared.need("ocirt_test_agent")
    for doc in docs:
        res = host.run("python3 %s diff -f %s", agent, doc)
        assert res.rc == 0, f"ocirt diff -f {doc}: rc {res.rc}\n{res.stdout}{res.stderr}"
