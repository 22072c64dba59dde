"""The CRI ImageService (runtime.v1): the images Kubernetes sees, and CRI pulls.

The CRI plugin keeps its own view of namespace k8s.io, fed by containerd's image events, so
ListImages is how to check that an image made through the plain API is visible to the
kubelet. Its pulls resolve registries with the daemon's own registry config_path.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..transport.connection import Connection, Method
from ..wire.schema import BOOL, STRING, UINT64, Field, MapOf, Message

PROTO = "kubernetes/cri-api pkg/apis/runtime/v1/api.proto"
_PKG = "runtime.v1."

IMAGE_SPEC = Message(
    _PKG + "ImageSpec",
    PROTO,
    [Field(1, "image", STRING), Field(2, "annotations", MapOf(STRING, STRING))],
)
AUTH_CONFIG = Message(
    _PKG + "AuthConfig",
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
IMAGE = Message(
    _PKG + "Image",
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
        _PKG + "PullImageRequest",
        PROTO,
        [Field(1, "image", IMAGE_SPEC), Field(2, "auth", AUTH_CONFIG)],
    ),
    Message(_PKG + "PullImageResponse", PROTO, [Field(1, "image_ref", STRING)]),
)
IMAGE_STATUS = Method(
    "/runtime.v1.ImageService/ImageStatus",
    Message(
        _PKG + "ImageStatusRequest",
        PROTO,
        [Field(1, "image", IMAGE_SPEC), Field(2, "verbose", BOOL)],
    ),
    Message(
        _PKG + "ImageStatusResponse",
        PROTO,
        [Field(1, "image", IMAGE), Field(2, "info", MapOf(STRING, STRING))],
    ),
)
REMOVE_IMAGE = Method(
    "/runtime.v1.ImageService/RemoveImage",
    Message(_PKG + "RemoveImageRequest", PROTO, [Field(1, "image", IMAGE_SPEC)]),
    Message(_PKG + "RemoveImageResponse", PROTO, []),
)
IMAGE_FILTER = Message(_PKG + "ImageFilter", PROTO, [Field(1, "image", IMAGE_SPEC)])
LIST_REQUEST = Message(_PKG + "ListImagesRequest", PROTO, [Field(1, "filter", IMAGE_FILTER)])
LIST_RESPONSE = Message(
    _PKG + "ListImagesResponse", PROTO, [Field(1, "images", IMAGE, repeated=True)]
)
LIST = Method("/runtime.v1.ImageService/ListImages", LIST_REQUEST, LIST_RESPONSE)


def list_cri_images(conn: Connection, image: Optional[str] = None) -> List[Dict[str, Any]]:
    """[{'id', 'repo_tags', 'repo_digests', 'size'}] as the kubelet would get them; with
    ``image``, only that one (by tag, digest or id). The filter is sent, but the CRI of
    containerd 2.x ignores it and answers every image, so the reply is filtered here too."""
    request: Dict[str, Any] = {}
    if image:
        request["filter"] = {"image": {"image": image}}
    images = conn.call(LIST, request, namespace=None)["images"]
    if not image:
        return images
    return [i for i in images if image == i["id"] or image in (*i["repo_tags"], *i["repo_digests"])]


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
