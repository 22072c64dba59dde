"""Whether an image recorded in containerd is complete for a platform, and unpacked.

An image record can point at an index whose platform manifest, config or layers are missing
(pulled for another platform, or garbage-collected): such an image is not "present" for
idempotency's sake, and a pull is due. What "complete" means is decided in ``graph``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, TypedDict

from ..common import media_types as mt
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..transport.connection import Connection
from .graph import ContentStore, Image, unpacked


class LocalImageState(TypedDict):
    """What the content store and the snapshotter hold of an image for one platform."""

    complete: bool  # every blob present, and unpacked unless no snapshotter was asked about
    unpacked: bool
    missing: List[str]  # digests of the blobs it needs that are not present
    manifest: Optional[str]  # the platform's manifest digest, None if not known or missing


def local_state(
    conn: Connection,
    target: Mapping[str, Any],
    wanted_platform: Dict[str, str],
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
) -> LocalImageState:
    """The state of the image record's ``target`` (an API descriptor) for the platform."""
    check = Image(ContentStore(conn), mt.from_api(target)).check(wanted_platform)
    chosen = check.manifest
    if chosen is None or chosen.manifest is None:
        return {"complete": False, "unpacked": False, "missing": check.missing, "manifest": None}
    is_unpacked = chosen.config is not None and unpacked(conn, snapshotter, chosen)
    return {
        "complete": not check.missing and (is_unpacked or not snapshotter),
        "unpacked": is_unpacked,
        "missing": check.missing,
        "manifest": chosen.digest,
    }
