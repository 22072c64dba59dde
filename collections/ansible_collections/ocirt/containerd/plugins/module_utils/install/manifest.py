"""What ocirt installed from archives: per component the source, the archive's sha256, the
version and every file with its sha256 (/var/lib/ocirt/install.json by default).

It makes a no-op run cheap and exact: when the archive checksum is the one recorded and the
files still have their recorded checksums, nothing is downloaded.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, TypedDict

from ..common.atomic_file import atomic_write, read_bytes
from ..common.errors import InstallError

DEFAULT_PATH = "/var/lib/ocirt/install.json"
FORMAT = 1


class ManifestEntry(TypedDict):
    """One component as installed: where from, the archive's sha256, version, file sha256s."""

    source: str
    sha256: str
    version: Optional[str]
    files: Dict[str, str]


def load(path: str) -> Dict[str, Any]:
    raw = read_bytes(path)
    if raw is None:
        return {"format": FORMAT, "components": {}}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InstallError(
            f"{path} is not ocirt's install manifest ({exc}); move it away to start afresh"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("components"), dict):
        raise InstallError(f"{path} is not ocirt's install manifest; move it away to start afresh")
    return data


def save(path: str, data: Dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    atomic_write(path, text.encode("utf-8"), mode=0o644)
