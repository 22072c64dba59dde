"""An example fleet for deploy.py (pyinfra): copy it, put your hosts in, and run
    .venv/bin/pyinfra -y inventory/fleet.py deploy.py
The hosts need Debian's python3 (deploy.py installs python3-grpcio, python3-tomlkit and
python3-yaml) and a running containerd. Group data applies to every host of the group; a
host's own data wins.
"""

_ssh = {"ssh_user": "root", "ssh_key": "~/.ssh/id_ed25519"}

kubernetes_nodes = (
    [
        ("node1.example.internal", {}),
        ("node2.example.internal", {"demo_memory": "128m"}),
    ],
    {**_ssh, "ocirt_namespace": "apps"},
)

build_hosts = (
    [("builder.example.internal", {"ocirt_address": "/run/containerd/containerd.sock"})],
    _ssh,
)
