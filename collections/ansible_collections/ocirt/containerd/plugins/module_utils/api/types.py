"""Message types shared by containerd's services (containerd/containerd api/types)."""

from __future__ import annotations

from ..wire.schema import INT64, STRING, Field, MapOf, Proto


def _types_proto(file: str) -> Proto:
    """One file of api/types; its messages are in package containerd.types."""
    return Proto(f"containerd/containerd api/types/{file}", "containerd.types")


PLATFORM = _types_proto("platform.proto").message(
    "Platform",
    Field(1, "os", STRING),
    Field(2, "architecture", STRING),
    Field(3, "variant", STRING),
    Field(4, "os_version", STRING),  # 2.0+; older daemons ignore it
)

DESCRIPTOR = _types_proto("descriptor.proto").message(
    "Descriptor",
    Field(1, "media_type", STRING),
    Field(2, "digest", STRING),
    Field(3, "size", INT64),
    Field(5, "annotations", MapOf(STRING, STRING)),
)

MOUNT = _types_proto("mount.proto").message(
    "Mount",
    Field(1, "type", STRING),
    Field(2, "source", STRING),
    Field(3, "target", STRING),
    Field(4, "options", STRING, repeated=True),
)
