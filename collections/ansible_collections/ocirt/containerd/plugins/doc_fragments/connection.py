"""Options every ocirt module has for reaching containerd."""


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
      - Seconds to wait for each answer from containerd.
    type: float
    default: 30
requirements:
  - python >= 3.9
  - grpcio (Debian package python3-grpcio)
"""
