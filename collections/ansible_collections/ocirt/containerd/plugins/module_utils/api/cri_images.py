"""The CRI ImageService's ListImages (runtime.v1): the images Kubernetes sees.

The CRI plugin keeps its own view of namespace k8s.io, fed by containerd's image events, so
this is how to check that an image made through the plain API is visible to the kubelet.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..transport.connection import Connection, Method
from ..wire.schema import STRING, UINT64, Field, MapOf, Message

PROTO = "kubernetes/cri-api pkg/apis/runtime/v1/api.proto"
_PKG = "runtime.v1."

IMAGE_SPEC = Message(
    _PKG + "ImageSpec",
    PROTO,
    [Field(1, "image", STRING), Field(2, "annotations", MapOf(STRING, STRING))],
)
IMAGE_FILTER = Message(_PKG + "ImageFilter", PROTO, [Field(1, "image", IMAGE_SPEC)])
LIST_REQUEST = Message(_PKG + "ListImagesRequest", PROTO, [Field(1, "filter", IMAGE_FILTER)])
IMAGE = Message(
    _PKG + "Image",
    PROTO,
    [
        Field(1, "id", STRING),
        Field(2, "repo_tags", STRING, repeated=True),
        Field(3, "repo_digests", STRING, repeated=True),
        Field(4, "size", UINT64),
    ],
)
LIST_RESPONSE = Message(
    _PKG + "ListImagesResponse", PROTO, [Field(1, "images", IMAGE, repeated=True)]
)
LIST = Method("/runtime.v1.ImageService/ListImages", LIST_REQUEST, LIST_RESPONSE)


def list_cri_images(conn: Connection, image: Optional[str] = None) -> List[Dict[str, Any]]:
    """[{'id', 'repo_tags', 'repo_digests', 'size'}] as the kubelet would get them."""
    request: Dict[str, Any] = {}
    if image:
        request["filter"] = {"image": {"image": image}}
    return conn.call(LIST, request, namespace=None)["images"]
