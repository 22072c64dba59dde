"""An example fleet for deploy.py (pyinfra): copy it, put your hosts in, and run
    .venv/bin/pyinfra -y inventory/fleet.py deploy.py
The hosts need Debian's python3; deploy.py installs the rest (python3-grpcio,
python3-tomlkit and python3-yaml for the node agent; containerd, runc and the CNI plugins).
Group data applies to every host of the group, a host's own data wins; the keys are the
role's variable names (as in group_vars/ and inventory/fleet.example.yml).
"""

_ssh = {"ssh_user": "root", "ssh_key": "~/.ssh/id_ed25519"}

kubernetes_nodes = (
    [
        ("node1.example.internal", {}),
        ("node2.example.internal", {"demo_memory": "128m"}),
    ],
    {
        **_ssh,
        "containerd_profile": "kubernetes-node",
        "containerd_config_options": {"debug_level": "info"},
        "ocirt_namespace": "apps",
    },
)

build_hosts = (
    [("builder.example.internal", {"containerd_package_versions": {"containerd": "1.6.*"}})],
    {**_ssh, "containerd_profile": "plain-host"},
)
