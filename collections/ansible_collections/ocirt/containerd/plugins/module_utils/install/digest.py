"""sha256 values as users write them (``sha256:HEX`` or bare HEX) and of files on disk."""

from __future__ import annotations

import hashlib
import re
from typing import Optional

from ..common.errors import InvalidInput

CHUNK = 1024 * 1024
_HEX = re.compile(r"^[0-9a-f]{64}$")


def normalize_sha256(value: Optional[str], option: str) -> str:
    """The 64 lowercase hex digits of ``value``; a clear error naming ``option`` if it is not
    a sha256 (the checksum is required: an archive is never installed unverified)."""
    if not value:
        raise InvalidInput(f"{option}: a sha256 checksum is required")
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:") :]
    if not _HEX.match(text):
        raise InvalidInput(
            f"{option}: {value!r} is not allowed; allowed: 64 hex digits, optionally "
            f"prefixed with 'sha256:'"
        )
    return text


def file_sha256(path: str) -> Optional[str]:
    """Hex sha256 of a file's content, or None when it does not exist."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
    except FileNotFoundError:
        return None
    return h.hexdigest()
