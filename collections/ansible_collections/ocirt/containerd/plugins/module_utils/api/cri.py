"""The Kubernetes CRI (runtime.v1, and v1alpha2 on containerd 1.x) served on the same socket."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..transport.connection import Connection, Method
from ..transport.errors import OcirtError
from ..wire.schema import BOOL, STRING, UINT64, Field, MapOf, Message

PROTO = "kubernetes/cri-api pkg/apis/runtime/v1/api.proto"
API_VERSIONS = ("v1", "v1alpha2")


def _version_method(api: str) -> Method:
    request = Message(f"runtime.{api}.VersionRequest", PROTO, [Field(1, "version", STRING)])
    response = Message(
        f"runtime.{api}.VersionResponse",
        PROTO,
        [
            Field(1, "version", STRING),
            Field(2, "runtime_name", STRING),
            Field(3, "runtime_version", STRING),
            Field(4, "runtime_api_version", STRING),
        ],
    )
    return Method(f"/runtime.{api}.RuntimeService/Version", request, response)


VERSION = {api: _version_method(api) for api in API_VERSIONS}


def runtime_version(conn: Connection, api: str = "v1") -> Optional[Dict[str, Any]]:
    """The CRI Version answer for one API version, or None if that API is not served."""
    try:
        # the CRI plugin works in namespace k8s.io whatever the header says
        return conn.call(VERSION[api], {"version": "v1"}, namespace=None, timeout=10)
    except OcirtError:
        return None


# --- ImageService and RuntimeService.Status, for pulls through the CRI plugin -------------
# (the CRI plugin resolves registries with its own registry config_path / hosts.toml)

IMAGE_SPEC = Message(
    "runtime.v1.ImageSpec",
    PROTO,
    [Field(1, "image", STRING), Field(2, "annotations", MapOf(STRING, STRING))],
)
AUTH_CONFIG = Message(
    "runtime.v1.AuthConfig",
    PROTO,
    [
        Field(1, "username", STRING),
        Field(2, "password", STRING),
        Field(3, "auth", STRING),
        Field(4, "server_address", STRING),
        Field(5, "identity_token", STRING),
        Field(6, "registry_token", STRING),
    ],
)
CRI_IMAGE = Message(
    "runtime.v1.Image",
    PROTO,
    [
        Field(1, "id", STRING),
        Field(2, "repo_tags", STRING, repeated=True),
        Field(3, "repo_digests", STRING, repeated=True),
        Field(4, "size", UINT64),
        Field(7, "spec", IMAGE_SPEC),
        Field(8, "pinned", BOOL),
    ],
)
PULL_IMAGE = Method(
    "/runtime.v1.ImageService/PullImage",
    Message(
        "runtime.v1.PullImageRequest",
        PROTO,
        [Field(1, "image", IMAGE_SPEC), Field(2, "auth", AUTH_CONFIG)],
    ),
    Message("runtime.v1.PullImageResponse", PROTO, [Field(1, "image_ref", STRING)]),
)
IMAGE_STATUS = Method(
    "/runtime.v1.ImageService/ImageStatus",
    Message(
        "runtime.v1.ImageStatusRequest",
        PROTO,
        [Field(1, "image", IMAGE_SPEC), Field(2, "verbose", BOOL)],
    ),
    Message(
        "runtime.v1.ImageStatusResponse",
        PROTO,
        [Field(1, "image", CRI_IMAGE), Field(2, "info", MapOf(STRING, STRING))],
    ),
)
REMOVE_IMAGE = Method(
    "/runtime.v1.ImageService/RemoveImage",
    Message("runtime.v1.RemoveImageRequest", PROTO, [Field(1, "image", IMAGE_SPEC)]),
    Message("runtime.v1.RemoveImageResponse", PROTO, []),
)
RUNTIME_CONDITION = Message(
    "runtime.v1.RuntimeCondition",
    PROTO,
    [
        Field(1, "type", STRING),
        Field(2, "status", BOOL),
        Field(3, "reason", STRING),
        Field(4, "message", STRING),
    ],
)
STATUS = Method(
    "/runtime.v1.RuntimeService/Status",
    Message("runtime.v1.StatusRequest", PROTO, [Field(1, "verbose", BOOL)]),
    Message(
        "runtime.v1.StatusResponse",
        PROTO,
        [
            Field(
                1,
                "status",
                Message(
                    "runtime.v1.RuntimeStatus",
                    PROTO,
                    [Field(1, "conditions", RUNTIME_CONDITION, repeated=True)],
                ),
            ),
            Field(2, "info", MapOf(STRING, STRING)),
        ],
    ),
)


def pull_image(conn: Connection, image: str, timeout: float = 120) -> str:
    """CRI PullImage (namespace k8s.io, the CRI's registry configuration); the image ref."""
    reply = conn.call(PULL_IMAGE, {"image": {"image": image}}, namespace=None, timeout=timeout)
    return reply["image_ref"]


def image_status(conn: Connection, image: str) -> Optional[Dict[str, Any]]:
    """The CRI's view of an image, or None when it does not have it."""
    reply = conn.call(IMAGE_STATUS, {"image": {"image": image}}, namespace=None)
    image_ = reply["image"]
    return image_ if image_ and image_["id"] else None


def remove_image(conn: Connection, image: str) -> None:
    conn.call(REMOVE_IMAGE, {"image": {"image": image}}, namespace=None)


def runtime_status(conn: Connection, verbose: bool = True) -> Dict[str, Any]:
    """CRI Status; with verbose, ``info`` holds JSON documents such as the plugin's
    effective ``config`` (what the running daemon really loaded)."""
    return conn.call(STATUS, {"verbose": verbose}, namespace=None, timeout=10)
