"""namespaces.v1.Namespaces: list, get, create, update labels, delete."""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, TypedDict

from ..common.errors import NotFound
from ..transport.connection import Connection, Method
from ..wire.schema import STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, FIELD_MASK
from .identifiers import validate_identifier

PROTO = "containerd/containerd api/services/namespaces/v1/namespace.proto"
_PKG = "containerd.services.namespaces.v1."

NAMESPACE = Message(
    _PKG + "Namespace", PROTO, [Field(1, "name", STRING), Field(2, "labels", MapOf(STRING, STRING))]
)
GET_REQUEST = Message(_PKG + "GetNamespaceRequest", PROTO, [Field(1, "name", STRING)])
NAMESPACE_RESPONSE = Message(_PKG + "NamespaceResponse", PROTO, [Field(1, "namespace", NAMESPACE)])
LIST_REQUEST = Message(_PKG + "ListNamespacesRequest", PROTO, [Field(1, "filter", STRING)])
LIST_RESPONSE = Message(
    _PKG + "ListNamespacesResponse", PROTO, [Field(1, "namespaces", NAMESPACE, repeated=True)]
)
CREATE_REQUEST = Message(_PKG + "CreateNamespaceRequest", PROTO, [Field(1, "namespace", NAMESPACE)])
UPDATE_REQUEST = Message(
    _PKG + "UpdateNamespaceRequest",
    PROTO,
    [Field(1, "namespace", NAMESPACE), Field(2, "update_mask", FIELD_MASK)],
)
DELETE_REQUEST = Message(_PKG + "DeleteNamespaceRequest", PROTO, [Field(1, "name", STRING)])

_SERVICE = "/containerd.services.namespaces.v1.Namespaces/"
GET = Method(_SERVICE + "Get", GET_REQUEST, NAMESPACE_RESPONSE)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)
CREATE = Method(_SERVICE + "Create", CREATE_REQUEST, NAMESPACE_RESPONSE)
UPDATE = Method(_SERVICE + "Update", UPDATE_REQUEST, NAMESPACE_RESPONSE)
DELETE = Method(_SERVICE + "Delete", DELETE_REQUEST, EMPTY)


class NamespaceRecord(TypedDict):
    """A namespace as containerd stores it (the Namespace message)."""

    name: str
    labels: Dict[str, str]


def list_namespaces(conn: Connection) -> List[NamespaceRecord]:
    return conn.call(LIST, namespace=None)["namespaces"]


def get_namespace(conn: Connection, name: str) -> NamespaceRecord:
    """The namespace {name, labels}; raises NotFound if it does not exist.

    Found through List: containerd's Get answers with empty labels for a namespace that does
    not exist, so it cannot tell absence from an unlabelled namespace.
    """
    validate_identifier(name, "namespace name")
    for ns in list_namespaces(conn):
        if ns["name"] == name:
            return ns
    raise NotFound(f"namespace {name!r} does not exist")


def create_namespace(
    conn: Connection, name: str, labels: Optional[Mapping[str, str]] = None
) -> NamespaceRecord:
    validate_identifier(name, "namespace name")
    # the header is required: without it containerd creates the namespace, then fails
    # publishing the event and answers UNKNOWN
    request = {"namespace": {"name": name, "labels": dict(labels or {})}}
    return conn.call(CREATE, request, namespace=name)["namespace"]


def update_labels(
    conn: Connection, name: str, labels: Mapping[str, Optional[str]]
) -> NamespaceRecord:
    """Set labels; a value of None removes that label. Other labels are untouched."""
    validate_identifier(name, "namespace name")
    kept = {k: v for k, v in labels.items() if v is not None}
    request = {
        "namespace": {"name": name, "labels": kept},
        "update_mask": {"paths": [f"labels.{k}" for k in sorted(labels)]},
    }
    conn.call(UPDATE, request, namespace=name)
    return get_namespace(conn, name)  # 1.6 answers Update with an empty namespace


def delete_namespace(conn: Connection, name: str) -> None:
    """Delete an empty namespace; containerd refuses (FailedPrecondition) otherwise."""
    validate_identifier(name, "namespace name")
    conn.call(DELETE, {"name": name}, namespace=name)
