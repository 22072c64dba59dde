"""The one reader of KEY=VALUE lists on the command line (--label, --env, ...).

One meaning everywhere, docker's for ``-l``: ``KEY=VALUE`` sets KEY to VALUE (which may be
empty or hold more ``=``), a bare ``KEY`` sets it to the empty string, a later KEY wins, and
an empty KEY is refused naming the flag.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional

from ..client import InvalidInput


def parse_labels(items: Optional[Iterable[str]], flag: str = "--label") -> Dict[str, str]:
    """``["a=1", "b"]`` -> ``{"a": "1", "b": ""}``."""
    labels: Dict[str, str] = {}
    for item in items or ():
        key, _, value = item.partition("=")
        if not key:
            raise InvalidInput(f"{flag} takes KEY=VALUE, got {item!r}")
        labels[key] = value
    return labels
