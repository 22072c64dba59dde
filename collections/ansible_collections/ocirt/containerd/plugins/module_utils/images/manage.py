"""Tag and remove image records.

A tag is a second record pointing at the same target (content is shared, nothing is
copied), carrying the source's labels as `ctr images tag` does. Removing a record lets GC
collect what only it kept; ``sync`` waits for that collection. An image that containers
name is not removed unless forced, as docker refuses: their records would point at nothing
and they could not be recreated.
"""

from __future__ import annotations

import json
from typing import List, Optional, Sequence, Tuple

from ..api.containers import list_containers
from ..api.images import delete_image, get_image, put_image
from ..common.errors import FailedPrecondition, NotFound
from ..transport.connection import Connection


class ImageInUse(FailedPrecondition):
    """Containers use the image that was to be removed; nothing was removed."""


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


def containers_using(conn: Connection, name: str) -> List[str]:
    """IDs of the containers whose record names image ``name``, sorted.

    The filter value is quoted (a JSON string is a Go string literal here): unquoted, the
    ``/`` and ``.`` of an image name are filter syntax."""
    return sorted(c["id"] for c in list_containers(conn, [f"image=={json.dumps(name)}"]))


def check_removable(conn: Connection, names: Sequence[str], force: bool = False) -> None:
    """Refuse, naming them, if containers use any of ``names`` that exist, unless ``force``
    (a name without a record is reported as not found, not as in use)."""
    if force:
        return
    present = [name for name in names if get_image(conn, name) is not None]
    used = [(name, containers_using(conn, name)) for name in present]
    used = [(name, ids) for name, ids in used if ids]
    if used:
        raise in_use(conn.namespace, used)


def in_use(namespace: Optional[str], used: Sequence[Tuple[str, Sequence[str]]]) -> ImageInUse:
    """The refusal to remove images that containers use: [(image, container ids)]."""
    what = "; ".join(
        f"image {name} is used by container{'s' if len(ids) > 1 else ''} {', '.join(ids)}"
        for name, ids in used
    )
    return ImageInUse(
        f"{what} (namespace {namespace}): remove those containers first, or force the "
        "removal (ocirt rmi --force, or force=true in the image module); forcing leaves "
        "the containers unable to be recreated from the image"
    )


def remove_image(conn: Connection, name: str, sync: bool = False, force: bool = False) -> bool:
    """Delete the record ``name``; False if there was none. ``sync`` waits for GC."""
    check_removable(conn, [name], force)
    return delete_image(conn, name, sync=sync)


def remove_images(
    conn: Connection, names: Sequence[str], sync: bool = False, force: bool = False
) -> Tuple[List[str], List[str]]:
    """(removed, not found); every name is checked before any is removed."""
    check_removable(conn, names, force)
    removed: List[str] = []
    missing: List[str] = []
    for name in names:
        (removed if delete_image(conn, name, sync=sync) else missing).append(name)
    return removed, missing
