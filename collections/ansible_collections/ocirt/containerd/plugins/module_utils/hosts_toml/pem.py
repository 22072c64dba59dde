"""Certificates and keys for hosts.toml, checked before anything is written.

containerd reads the files of hosts.toml only when it pulls, so a CA path that does not
exist or content that is not PEM would otherwise surface as a failed pull much later.
Certificates are parsed by OpenSSL (the ``ssl`` module); a client certificate and its key
are loaded together, which also proves they belong to each other. Content is handed to
OpenSSL through an anonymous in-memory file (memfd), so a key never touches the disk.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import ssl
from typing import Iterator, Optional

from ..common.errors import InvalidInput

MAX_PEM_SIZE = 1024 * 1024
_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)
_KEY_TYPES = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")


def is_pem(value: str) -> bool:
    """Content rather than a path: the registry options take either."""
    return value.lstrip().startswith("-----BEGIN ")


def pem_text(value: str, option: str) -> str:
    """The PEM text of an option given as content or as the path of a readable file."""
    if is_pem(value):
        return value
    if not os.path.isfile(value):
        problem = "is not a file" if os.path.exists(value) else "does not exist"
        raise InvalidInput(f"{option}: {value} {problem}")
    try:
        with open(value, "rb") as f:
            data = f.read(MAX_PEM_SIZE + 1)
    except OSError as exc:
        raise InvalidInput(f"{option}: cannot read {value}: {exc.strerror}") from None
    if len(data) > MAX_PEM_SIZE:
        raise InvalidInput(f"{option}: {value} is over {MAX_PEM_SIZE} bytes, not a PEM file")
    return data.decode("ascii", "replace")


def _source(value: str) -> str:
    return "the content given" if is_pem(value) else value


def check_certificates(value: str, option: str) -> None:
    """``value`` (path or content) holds at least one PEM certificate OpenSSL accepts."""
    text = pem_text(value, option)
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError):
        raise InvalidInput(
            f"{option}: {_source(value)} is not a PEM certificate; "
            "allowed: a file or content with -----BEGIN CERTIFICATE----- blocks"
        ) from None


def check_key(value: str, option: str) -> None:
    """``value`` holds an unencrypted PEM private key (containerd cannot decrypt one)."""
    text = pem_text(value, option)
    blocks = [(kind, body) for kind, body in _BLOCK.findall(text) if kind.endswith("PRIVATE KEY")]
    if not blocks:
        raise InvalidInput(
            f"{option}: {_source(value)} is not a PEM private key; allowed: a file or content "
            "with a -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) block"
        )
    kind, body = blocks[0]
    if kind == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in body:
        raise InvalidInput(
            f"{option}: {_source(value)} is an encrypted key, which containerd cannot read; "
            "give the key unencrypted"
        )
    if kind not in _KEY_TYPES:
        raise InvalidInput(
            f"{option}: {_source(value)} holds a {kind}; allowed: PRIVATE KEY, RSA PRIVATE KEY "
            "or EC PRIVATE KEY"
        )
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        der = b""
    if not der.startswith(b"\x30"):
        raise InvalidInput(f"{option}: {_source(value)} is not a valid PEM private key")


def _no_password() -> bytes:
    raise InvalidInput("the key is encrypted")


@contextlib.contextmanager
def _as_file(value: str) -> Iterator[Optional[str]]:
    """A path OpenSSL can open for ``value``: the path itself, or a memfd holding content
    (None where memfd is missing: the pair is then not loaded together)."""
    if not is_pem(value):
        yield value
        return
    if not hasattr(os, "memfd_create"):
        yield None
        return
    fd = os.memfd_create("ocirt-pem", getattr(os, "MFD_CLOEXEC", 0))
    try:
        os.write(fd, value.encode("ascii", "replace"))
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


def check_pair(cert: str, key: Optional[str], where: str) -> None:
    """The client certificate and its key (each a path or content) are valid and match."""
    check_certificates(cert, f"{where}client_cert")
    if key is None:
        return
    check_key(key, f"{where}client_key")
    with _as_file(cert) as cert_file, _as_file(key) as key_file:
        if cert_file is None or key_file is None:
            return
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(
                cert_file, key_file, password=_no_password
            )
        except (ssl.SSLError, OSError, InvalidInput) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise InvalidInput(
                f"{where}client_key: does not belong to {where}client_cert ({reason})"
            ) from None
