"""Getting an archive from a URL (http/https with http.client) or a path on the
managed node into a private temporary file, verifying its sha256 while it streams.

Nothing is installed from a file whose checksum did not match: the caller only ever sees a
verified path, or a ChecksumMismatch naming both digests.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shutil
import ssl
import tempfile
import urllib.parse
from typing import Any, Optional

from ..common.errors import ChecksumMismatch, InvalidInput, SourceError
from .digest import CHUNK

DEFAULT_TIMEOUT = 60.0


def describe(source: str) -> str:
    """The source as it may be shown: a URL without user:password."""
    parsed = urllib.parse.urlsplit(source)
    if parsed.scheme in ("http", "https") and (parsed.username or parsed.password):
        netloc = parsed.hostname or ""
        if parsed.port:
            netloc += f":{parsed.port}"
        return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
    return source


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def validate_source(source: Optional[str], option: str) -> str:
    if not source:
        raise InvalidInput(f"{option}: a URL (http/https) or an absolute path is required")
    scheme = urllib.parse.urlsplit(source).scheme
    if scheme in ("http", "https"):
        return source
    if scheme == "file":
        return urllib.parse.unquote(urllib.parse.urlsplit(source).path)
    if scheme or not os.path.isabs(source):
        raise InvalidInput(
            f"{option}: {describe(source)!r} is not allowed; allowed: an http:// or https:// "
            f"URL, or an absolute path on the managed node"
        )
    return source


MAX_REDIRECTS = 5


class _Response:
    """An HTTP response body that also closes its connection."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self.conn = conn
        self.response = response

    def read(self, n: int) -> bytes:
        return self.response.read(n)

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _get(url: str, timeout: float) -> _Response:
    """GET with http.client, following up to MAX_REDIRECTS redirects (TLS verified)."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                host, parts.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        headers = {"User-Agent": "ocirt-install"}
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            token = f"{user}:{urllib.parse.unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
            url = urllib.parse.urljoin(url, response.getheader("Location") or "")
            conn.close()
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise SourceError(f"redirected to a URL that is not http/https: {describe(url)}")
            continue
        if response.status != 200:
            conn.close()
            raise SourceError(
                f"downloading {describe(url)}: HTTP {response.status} {response.reason}"
            )
        return _Response(conn, response)
    raise SourceError(f"downloading {describe(url)}: more than {MAX_REDIRECTS} redirects")


def _open(source: str, timeout: float) -> Any:
    if not is_url(source):
        try:
            return open(source, "rb")
        except OSError as exc:
            raise SourceError(f"cannot read {source}: {exc.strerror}") from None
    try:
        return _get(source, timeout)
    except (OSError, http.client.HTTPException) as exc:
        raise SourceError(f"downloading {describe(source)}: {exc}") from None


def fetch_verified(source: str, dest: str, sha256: str, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Copy ``source`` to ``dest`` (a new file) and check its sha256; returns ``dest``.

    On a mismatch ``dest`` is removed and ChecksumMismatch raised.
    """
    h = hashlib.sha256()
    try:
        with _open(source, timeout) as src, open(dest, "wb") as out:
            while True:
                try:
                    chunk = src.read(CHUNK)
                except OSError as exc:
                    raise SourceError(f"reading {describe(source)}: {exc}") from None
                if not chunk:
                    break
                h.update(chunk)
                out.write(chunk)
    except BaseException:
        _unlink(dest)
        raise
    got = h.hexdigest()
    if got != sha256:
        _unlink(dest)
        raise ChecksumMismatch(
            f"checksum mismatch for {describe(source)}: expected sha256 {sha256}, got {got}; "
            f"nothing was installed or replaced"
        )
    return dest


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_tree(path: Optional[str]) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


class WorkDir:
    """A private temporary directory for downloads and extracted files, made when first
    needed (so failing to make it is an error like any other, not at import or setup) and
    removed with everything in it when the ``with`` block ends."""

    def __init__(self, prefix: str = "ocirt-install-") -> None:
        self.prefix = prefix
        self._path: Optional[str] = None

    def path(self) -> str:
        if self._path is None:
            self._path = tempfile.mkdtemp(prefix=self.prefix)
        return self._path

    def __enter__(self) -> WorkDir:
        return self

    def __exit__(self, *exc: object) -> None:
        remove_tree(self._path)
        self._path = None
