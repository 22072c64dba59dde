"""Message types shared by containerd's services (containerd/containerd api/types)."""

from __future__ import annotations

from ..wire.schema import INT64, STRING, Field, MapOf, Message

PLATFORM = Message(
    "containerd.types.Platform",
    "containerd/containerd api/types/platform.proto",
    [
        Field(1, "os", STRING),
        Field(2, "architecture", STRING),
        Field(3, "variant", STRING),
        Field(4, "os_version", STRING),  # 2.0+; older daemons ignore it
    ],
)

DESCRIPTOR = Message(
    "containerd.types.Descriptor",
    "containerd/containerd api/types/descriptor.proto",
    [
        Field(1, "media_type", STRING),
        Field(2, "digest", STRING),
        Field(3, "size", INT64),
        Field(5, "annotations", MapOf(STRING, STRING)),
    ],
)

MOUNT = Message(
    "containerd.types.Mount",
    "containerd/containerd api/types/mount.proto",
    [
        Field(1, "type", STRING),
        Field(2, "source", STRING),
        Field(3, "target", STRING),
        Field(4, "options", STRING, repeated=True),
    ],
)
