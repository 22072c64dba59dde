"""Image references, parsed and normalised the way containerd and the CRI do.

``busybox`` is ``docker.io/library/busybox:latest``; the first path component is a registry
host only if it has a dot or a port, or is ``localhost``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from ..common.errors import InvalidInput

DEFAULT_DOMAIN = "docker.io"
DEFAULT_TAG = "latest"
DOCKER_HUB_HOST = "registry-1.docker.io"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
# \Z, not $: "$" also matches before a final newline, which let "a\n:1" through.
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*\Z")
_DOMAIN = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:]+\])(?::[0-9]+)?\Z"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}\Z", re.ASCII)  # Go's \w: ASCII only
#: the algorithms containerd's go-digest accepts, with the length of their hex encoding
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
DIGEST_FORM = "sha256: followed by 64 lowercase hex digits (or sha384:/sha512: with 96/128)"


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def repository(self) -> str:
        """'docker.io/library/busybox'."""
        return f"{self.domain}/{self.path}"

    @property
    def object(self) -> str:
        """What goes after /manifests/ in a registry URL: the digest if pinned, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def is_digest(text: str) -> bool:
    """A digest as go-digest validates it: a known algorithm and hex of its exact length.

    Checked here so a malformed pin is refused before any registry is asked."""
    algorithm, colon, encoded = text.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    return bool(colon and length and re.fullmatch(f"[0-9a-f]{{{length}}}", encoded))


def _split_domain(name: str) -> Tuple[str, str]:
    """(registry host, repository path) of a name without tag or digest, normalised: the
    first component is a host only if it has a dot or a port, or is localhost."""
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        domain, path = first, rest
    else:
        domain, path = DEFAULT_DOMAIN, name
    if domain in ("index.docker.io", "registry-1.docker.io"):
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = f"library/{path}"
    return domain, path


def parse_reference(text: str) -> Reference:
    """Parse and normalise; a reference without tag or digest gets ``:latest``."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("an image reference must be a non-empty string")
    original = text
    text = text.strip()
    name, at, digest = text.partition("@")
    if at and not is_digest(digest):
        raise InvalidInput(
            f"image reference {original!r}: {digest!r} is not a digest; expected {DIGEST_FORM}"
        )
    tag = None
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise InvalidInput(f"image reference {original!r}: {tag!r} is not a valid tag")
    domain, path = _split_domain(name)
    if not _DOMAIN.match(domain):
        raise InvalidInput(f"image reference {original!r}: {domain!r} is not a registry host")
    if not _PATH.match(path):
        raise InvalidInput(
            f"image reference {original!r}: repository {path!r} must be lowercase letters, "
            "digits and separators"
        )
    if not tag and not digest:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest or None)


def normalize_name(text: str) -> str:
    """The image name containerd stores: 'busybox' -> 'docker.io/library/busybox:latest'."""
    return str(parse_reference(text))
