"""Reading a state document's text: JSON always, YAML when PyYAML is there.

JSON is read with the standard library, so a node without PyYAML (the agent on a bare
python3) still takes JSON documents; YAML needs PyYAML (Debian: python3-yaml) and says so
when it is missing. YAML is read with ``safe_load``: no tags that build objects.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..common.errors import InvalidInput, describe_os_error


def parse_text(text: str, source: str = "the document") -> Any:
    """The document in ``text`` (JSON, or YAML if PyYAML is installed)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as exc:
            json_error = exc
    else:
        json_error = None
    try:
        import yaml
    except ImportError:
        if json_error is not None:
            raise InvalidInput(f"{source} is not valid JSON: {json_error}") from None
        raise InvalidInput(
            f"{source} is YAML, which needs PyYAML (Debian: python3-yaml); install it, or "
            "give the document as JSON"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not valid YAML or JSON: {exc}") from None


def read_document(path: str) -> Any:
    """The document in the file ``path``; ``-`` is standard input."""
    if path == "-":
        return parse_text(sys.stdin.read(), "the document on standard input")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read the state document: {describe_os_error(exc)}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text: {exc}") from None
    return parse_text(text, path)
