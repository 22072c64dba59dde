"""containerd.runc.v1.Options: how the runc shim runs a container (the record's runtime options).

ocirt sets only ``systemd_cgroup``; the proto's other fields (no_pivot_root = 1 ...
criu_path = 8: runc's own switches and paths) keep their defaults and are not declared.
"""

from __future__ import annotations

from ..wire.schema import BOOL, Field, Message

PROTO = "containerd/containerd api/types/runc/options/oci.proto"

OPTIONS = Message("containerd.runc.v1.Options", PROTO, [Field(9, "systemd_cgroup", BOOL)])
