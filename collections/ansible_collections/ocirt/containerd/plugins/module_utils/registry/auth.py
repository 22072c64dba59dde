"""Registry authentication: credentials, WWW-Authenticate challenges, bearer tokens.

Secrets never leave this module except in Authorization headers: the Credentials repr hides
the password, and error messages name the registry and the user, never the secret.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..common.errors import InvalidInput
from .reference import DEFAULT_DOMAIN


@dataclass
class Credentials:
    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)  # a refresh token from `docker login`

    def __bool__(self) -> bool:
        return bool(self.username or self.identity_token)

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def credentials_from_docker_config(domain: str, path: Optional[str] = None) -> Credentials:
    """Look ``domain`` up in a docker config.json (DOCKER_CONFIG or ~/.docker by default)."""
    if path is None:
        base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
        path = os.path.join(base, "config.json")
    if not os.path.isfile(path):
        return Credentials()
    try:
        with open(path, encoding="utf-8") as f:
            auths = (json.load(f) or {}).get("auths") or {}
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read docker config {path}: {exc}") from None
    keys = [domain, f"https://{domain}", f"http://{domain}"]
    if domain == DEFAULT_DOMAIN:
        keys = ["https://index.docker.io/v1/", "index.docker.io", *keys]
    for key in keys:
        entry = auths.get(key) or auths.get(key.rstrip("/"))
        if not entry:
            continue
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return Credentials(user, password, entry.get("identitytoken", ""))
        return Credentials(
            entry.get("username", ""), entry.get("password", ""), entry.get("identitytoken", "")
        )
    return Credentials()


_PARAM = re.compile(r'([a-zA-Z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


def parse_challenges(header: str) -> List[Tuple[str, Dict[str, str]]]:
    """'Bearer realm="x",service="y", Basic realm="z"' -> [('bearer', {...}), ('basic', {...})]."""
    starts = list(
        re.finditer(r"(?:^|,)\s*([A-Za-z][\w-]*)(?:\s+(?=[\w-]+\s*=)|\s*$)", header or "")
    )
    out: List[Tuple[str, Dict[str, str]]] = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(header)
        params = {}
        for m in _PARAM.finditer(header[match.end() : end]):
            value = m.group(2) if m.group(2) is not None else m.group(3)
            params[m.group(1).lower()] = value.replace('\\"', '"')
        out.append((match.group(1).lower(), params))
    return out
