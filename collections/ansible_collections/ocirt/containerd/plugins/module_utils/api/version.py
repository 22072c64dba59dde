"""version.v1.Version: the daemon's version and git revision."""

from __future__ import annotations

from typing import Tuple, TypedDict, cast

from ..transport.connection import Connection, Method
from ..wire.schema import STRING, Field, Message
from ..wire.wellknown import EMPTY

PROTO = "containerd/containerd api/services/version/v1/version.proto"

VERSION_RESPONSE = Message(
    "containerd.services.version.v1.VersionResponse",
    PROTO,
    [Field(1, "version", STRING), Field(2, "revision", STRING)],
)

VERSION = Method("/containerd.services.version.v1.Version/Version", EMPTY, VERSION_RESPONSE)


class VersionInfo(TypedDict):
    version: str
    revision: str


def get_version(conn: Connection) -> VersionInfo:
    """{'version': '1.6.20~ds1', 'revision': '...'} as the daemon reports it."""
    return cast(VersionInfo, conn.call(VERSION, namespace=None))


def parse_series(version: str) -> Tuple[int, int]:
    """(major, minor) of a containerd version string such as 'v2.1.4' or '1.6.20~ds1'."""
    text = version.lstrip("v")
    parts = []
    for piece in text.split(".")[:2]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits or 0))
    while len(parts) < 2:
        parts.append(0)
    return parts[0], parts[1]
