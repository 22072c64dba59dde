"""The connection options every module of the action group accepts (module_support.py).

One set for all, as community.docker's docker_* modules share theirs, so that
``module_defaults`` for ``group/ocirt.containerd.containerd`` can set them. A module for which
one means nothing accepts and ignores it; its notes say which. Pieces of the fragments in
module_kind.py, which the modules name.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  address:
    description:
      - Path of containerd's gRPC unix socket on the managed node.
      - Falls back to the environment variable E(CONTAINERD_ADDRESS), as C(ctr) does.
    type: str
    default: /run/containerd/containerd.sock
  timeout:
    description:
      - Seconds to wait for each answer from containerd (and from registries, for pulls).
    type: float
    default: 30
  namespace:
    description:
      - The containerd namespace to work in. Kubernetes uses C(k8s.io).
    type: str
    default: default
  registry_config_path:
    description:
      - The directory of C(<host>/hosts.toml) files, as containerd's C(config_path), through
        which registries are reached (mirrors, CA certificates, client certificates, headers).
      - When not set, C(/etc/containerd/certs.d).
    type: path
notes:
  - The options O(address), O(timeout), O(namespace) and O(registry_config_path) are shared by
    every module of the action group C(group/ocirt.containerd.containerd), so that
    C(module_defaults) can set them once. A module for which one has no meaning accepts and
    ignores it.
"""

    GRPC = r"""
options: {}
requirements:
  - python >= 3.9
  - grpcio (Debian package python3-grpcio)
"""
