"""The two shapes most unary calls of the API take, written once.

containerd answers NotFound when the object a call names does not exist. A lookup then
means "there is none" (``call_or_none``), and a removal means "nothing to remove"
(``call_if_found``); every other error still propagates.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ..common.errors import NotFound
from ..transport.connection import Connection, Method


def call_or_none(
    conn: Connection, method: Method, request: Mapping[str, Any], key: str, **kw: Any
) -> Optional[Dict[str, Any]]:
    """The ``key`` field of the reply, or None when the object does not exist."""
    try:
        return conn.call(method, request, **kw)[key]
    except NotFound:
        return None


def call_if_found(conn: Connection, method: Method, request: Mapping[str, Any], **kw: Any) -> bool:
    """Make the call; False when the object it names does not exist."""
    try:
        conn.call(method, request, **kw)
    except NotFound:
        return False
    return True
