"""containerd's rule for names of namespaces, containers, leases and snapshots."""

from __future__ import annotations

import re

from ..common.errors import InvalidInput

MAX_LENGTH = 76
_IDENTIFIER = re.compile(r"^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$")


def validate_identifier(value: str, what: str = "name") -> str:
    """Raise InvalidInput unless containerd would accept ``value`` as an identifier."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{what} must be a non-empty string")
    if len(value) > MAX_LENGTH:
        raise InvalidInput(f"{what} {value!r} is longer than {MAX_LENGTH} characters")
    if not _IDENTIFIER.match(value):
        raise InvalidInput(
            f"{what} {value!r} is not a valid containerd identifier: use letters and digits, "
            "separated by single '.', '_' or '-' (for example 'k8s.io' or 'build-cache')"
        )
    return value
