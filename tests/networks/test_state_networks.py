"""A state document with a network and a container publishing a port on it, through
`ocirt apply` and `ocirt diff`, against the private containerd in the test's network
namespace: the network comes before the container, a rerun finds nothing to do, and the
document that removes both removes the container before the network."""

from __future__ import annotations

import json

from cli.test_ocirt_cli import ocirt

from networks.conftest import BUSYBOX
from networks.test_container_networks import HTTPD, _get


def _document(state: str) -> str:
    return json.dumps(
        {
            "networks": [{"name": "docnet", "subnet": "10.7.60.0/24", "state": state}],
            "containers": [
                {
                    "name": "docweb",
                    "image": BUSYBOX,
                    "command": ["sh", "-c", HTTPD],
                    "networks": [{"name": "docnet"}],
                    "published_ports": ["127.0.0.1:18091:80"],
                    "state": "started" if state == "present" else "absent",
                }
            ],
        }
    )


def test_a_document_brings_its_network_then_its_container(
    containerd_netns, netconn, net_env, tmp_path
):
    env = {
        "CONTAINERD_ADDRESS": containerd_netns.address,
        "CONTAINERD_NAMESPACE": netconn.namespace,
    }
    host = containerd_netns.test_netns

    def state(verb: str, document: str, *flags: str):
        path = tmp_path / "state.json"
        path.write_text(document)
        return ocirt(verb, "-f", str(path), *flags, env=env)

    up = _document("present")
    applied = state("apply", up, "--json")
    assert applied.returncode == 0, applied.stderr
    changes = [(e["kind"], e["name"], e["change"]) for e in json.loads(applied.stdout)["entries"]]
    assert changes == [("network", "docnet", "create"), ("container", "docweb", "create")]
    try:
        assert _get(host, "http://127.0.0.1:18091/") == "hello-from-docweb\n"
        again = state("diff", up)
        assert (again.returncode, again.stderr) == (0, ""), again
    finally:
        down = state("apply", _document("absent"), "--json")
    assert down.returncode == 0, down.stderr
    changes = [(e["kind"], e["name"], e["change"]) for e in json.loads(down.stdout)["entries"]]
    assert changes == [("container", "docweb", "remove"), ("network", "docnet", "delete")]
    assert "18091" not in host.iptables_save() and "br-docnet" not in host.links()
