"""images.v1.Images: the image records (name -> target descriptor) of a namespace."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..common.errors import AlreadyExists
from ..transport.connection import Connection, LeaseRef, Method
from ..wire.schema import BOOL, STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, FIELD_MASK, TIMESTAMP
from .calls import call_if_found, call_or_none
from .types import DESCRIPTOR

PROTO = "containerd/containerd api/services/images/v1/images.proto"
_PKG = "containerd.services.images.v1."

IMAGE = Message(
    _PKG + "Image",
    PROTO,
    [
        Field(1, "name", STRING),
        Field(2, "labels", MapOf(STRING, STRING)),
        Field(3, "target", DESCRIPTOR),
        Field(7, "created_at", TIMESTAMP),
        Field(8, "updated_at", TIMESTAMP),
    ],
)
GET_REQUEST = Message(_PKG + "GetImageRequest", PROTO, [Field(1, "name", STRING)])
GET_RESPONSE = Message(_PKG + "GetImageResponse", PROTO, [Field(1, "image", IMAGE)])
LIST_REQUEST = Message(
    _PKG + "ListImagesRequest", PROTO, [Field(1, "filters", STRING, repeated=True)]
)
LIST_RESPONSE = Message(
    _PKG + "ListImagesResponse", PROTO, [Field(1, "images", IMAGE, repeated=True)]
)
CREATE_REQUEST = Message(_PKG + "CreateImageRequest", PROTO, [Field(1, "image", IMAGE)])
UPDATE_REQUEST = Message(
    _PKG + "UpdateImageRequest",
    PROTO,
    [Field(1, "image", IMAGE), Field(2, "update_mask", FIELD_MASK)],
)
IMAGE_RESPONSE = Message(_PKG + "ImageResponse", PROTO, [Field(1, "image", IMAGE)])
DELETE_REQUEST = Message(
    _PKG + "DeleteImageRequest", PROTO, [Field(1, "name", STRING), Field(2, "sync", BOOL)]
)

_SERVICE = "/containerd.services.images.v1.Images/"
GET = Method(_SERVICE + "Get", GET_REQUEST, GET_RESPONSE)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)
CREATE = Method(_SERVICE + "Create", CREATE_REQUEST, IMAGE_RESPONSE)
UPDATE = Method(_SERVICE + "Update", UPDATE_REQUEST, IMAGE_RESPONSE)
DELETE = Method(_SERVICE + "Delete", DELETE_REQUEST, EMPTY)


def list_images(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Image records in the connection's namespace (filters are OR-ed, as in containerd)."""
    return conn.call(LIST, {"filters": list(filters)})["images"]


def get_image(conn: Connection, name: str) -> Optional[Dict[str, Any]]:
    """The image record, or None if the namespace has no image of that name."""
    return call_or_none(conn, GET, {"name": name}, "image")


def put_image(
    conn: Connection,
    name: str,
    target: Mapping[str, Any],
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[LeaseRef] = None,
) -> Dict[str, Any]:
    """Create the image record, or point an existing one at ``target`` (as ctr does)."""
    image = {"name": name, "target": dict(target), "labels": dict(labels or {})}
    try:
        return conn.call(CREATE, {"image": image}, lease=lease)["image"]
    except AlreadyExists:
        paths = ["target"] + [f"labels.{k}" for k in sorted(labels or {})]
        request = {"image": image, "update_mask": {"paths": paths}}
        return conn.call(UPDATE, request, lease=lease)["image"]


def delete_image(conn: Connection, name: str, sync: bool = False) -> bool:
    """Delete the record (``sync`` waits for GC of what it alone kept); False if absent."""
    return call_if_found(conn, DELETE, {"name": name, "sync": sync}, timeout=300 if sync else None)
