"""Tag and remove image records.

A tag is a second record pointing at the same target (content is shared, nothing is
copied), carrying the source's labels as `ctr images tag` does. Removing a record lets GC
collect what only it kept; ``sync`` waits for that collection.
"""

from __future__ import annotations

from ..api.images import delete_image, get_image, put_image
from ..transport.connection import Connection
from ..transport.errors import NotFound


def tag_image(conn: Connection, source: str, target: str) -> bool:
    """Make ``target`` name the image ``source`` names; False if it already did."""
    record = get_image(conn, source)
    if record is None:
        raise NotFound(f"no image {source!r} in namespace {conn.namespace!r} to tag")
    existing = get_image(conn, target)
    if existing is not None and existing["target"]["digest"] == record["target"]["digest"]:
        return False
    put_image(conn, target, record["target"], labels=record.get("labels") or {})
    return True


def remove_image(conn: Connection, name: str, sync: bool = False) -> bool:
    """Delete the record ``name``; False if there was none. ``sync`` waits for GC."""
    return delete_image(conn, name, sync=sync)
