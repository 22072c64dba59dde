"""config.toml text with registry secrets masked, for diffs and logs.

Schema 2 files may hold CRI registry credentials (``auths``) and headers; whatever shows a
file to a person (Ansible's diff, the CLI) shows it through ``mask_config_text``.
"""

from __future__ import annotations

from typing import Any

from ..common.errors import ConfigParseError
from .document import dump, load, plain

MASK = "********"
#: keys whose values are secrets wherever they appear (CRI registry auths of schema 2)
SECRET_KEYS = frozenset(
    {"password", "auth", "identitytoken", "identity_token", "token", "registry_token"}
)
SECRET_TABLES = frozenset({"headers", "header"})


def _mask(node: Any, in_secret_table: bool = False) -> None:
    if not hasattr(node, "items"):
        return
    for key, value in list(node.items()):
        if hasattr(value, "items"):
            _mask(value, in_secret_table or key in SECRET_TABLES)
        elif (in_secret_table or key.lower() in SECRET_KEYS) and plain(value) not in ("", []):
            node[key] = [MASK for _ in value] if isinstance(plain(value), list) else MASK


def mask_config_text(text: str) -> str:
    """config.toml text with registry secrets (headers, auth, passwords) masked."""
    if not text or not any(w in text for w in (*SECRET_KEYS, *SECRET_TABLES)):
        return text
    try:
        doc = load(text)
    except ConfigParseError:
        return "# (not valid TOML; not shown because it may hold secrets)\n"
    _mask(doc)
    return dump(doc)
