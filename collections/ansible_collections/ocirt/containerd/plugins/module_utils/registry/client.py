"""A registry client for pulls (OCI distribution spec), standard library only.

It resolves a reference to a descriptor (HEAD with the Accept list, GET as fallback), streams
blobs (with Range for resumed transfers), authenticates (basic, bearer tokens by GET and by
POST, token reuse within a run), follows the endpoints of hosts.toml in order, retries 5xx
answers and broken connections with backoff (longer when a 429/503 asks for it with
Retry-After, within a bound), takes a body that breaks off up again with a Range request,
follows at most MAX_REDIRECTS redirects, and explains failures in words. Every read waits
at most ``timeout`` seconds for data, so a stalled registry ends the pull with an error.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import replace
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import urlencode, urljoin, urlsplit

from ..common import media_types as mt
from ..common.errors import InvalidInput, NotFound, OcirtError
from ..hosts_toml.reader import RegistryHost
from .auth import Credentials, parse_challenges
from .reference import Reference

USER_AGENT = "ocirt/0.1"
READ_SIZE = 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRY_AFTER = 30.0  # seconds of Retry-After waited at most; a longer ask fails the pull
MAX_REDIRECTS = 5


class RegistryError(OcirtError):
    """A registry could not be reached or answered with an error."""


class AuthenticationFailed(RegistryError):
    pass


class ImageNotFound(NotFound):
    """The reference is not there; ``endpoint`` is the URL that said so (after any fallback
    from https to http, so an error names the scheme really used)."""

    def __init__(self, message: str, endpoint: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint


def _ssl_context(host: RegistryHost) -> ssl.SSLContext:
    context = ssl.create_default_context()
    for ca in host.ca_files:
        try:
            context.load_verify_locations(cafile=ca)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(
                f"cannot load CA certificate {ca} for {host.describe()}: {exc}"
            ) from None
    for cert, key in host.client_pairs:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(f"cannot load client certificate {cert}: {exc}") from None
    if host.skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _Response:
    """A finished or streaming HTTP answer, with its connection kept for reuse."""

    def __init__(self, raw: http.client.HTTPResponse, origin: Tuple[str, str]) -> None:
        self.raw = raw
        self.origin = origin  # (scheme, netloc) of the connection it came on
        self.status = raw.status
        self.headers = {k.lower(): v for k, v in raw.getheaders()}

    def read(self) -> bytes:
        try:
            return self.raw.read()
        except http.client.IncompleteRead as exc:
            # some registries send error bodies shorter than their Content-Length
            self.raw.close()
            return exc.partial

    def chunks(self) -> Iterator[bytes]:
        while True:
            data = self.raw.read(READ_SIZE)
            if not data:
                return
            yield data


class RegistryClient:
    """Pull-side access to one repository through an ordered list of endpoints."""

    def __init__(
        self,
        reference: Reference,
        hosts: List[RegistryHost],
        credentials: Optional[Credentials] = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.reference = reference
        self.hosts = list(hosts)
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.retries = max(1, retries)
        self.backoff = backoff
        self.scope = f"repository:{reference.path}:pull"
        self._auth: Dict[str, str] = {}  # host -> Authorization header, reused within the run
        self._contexts: Dict[str, ssl.SSLContext] = {}
        self._local = threading.local()
        self._all_connections: List[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    # -- connections -------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            for conn in self._all_connections:
                conn.close()
            self._all_connections.clear()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _context(self, host: RegistryHost) -> ssl.SSLContext:
        key = host.host
        if key not in self._contexts:
            self._contexts[key] = _ssl_context(host)
        return self._contexts[key]

    def _connection(
        self, scheme: str, netloc: str, host: RegistryHost
    ) -> http.client.HTTPConnection:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        conn = pool.get((scheme, netloc))
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    netloc, timeout=self.timeout, context=self._context(host)
                )
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
            pool[(scheme, netloc)] = conn
            with self._lock:
                self._all_connections.append(conn)
        return conn

    def _drop_connection(self, scheme: str, netloc: str) -> None:
        pool = getattr(self._local, "pool", {})
        conn = pool.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()

    # -- requests ----------------------------------------------------------------------

    def _url_path(self, host: RegistryHost, kind: str, obj: str) -> str:
        path = f"{host.path}/{self.reference.path}/{kind}/{obj}"
        if host.mirror_of:
            path += "?" + urlencode({"ns": host.mirror_of})
        return path

    def _send(
        self, host: RegistryHost, method: str, url: str, headers: Dict[str, str]
    ) -> Tuple[_Response, RegistryHost]:
        """One request with retries; a TLS failure on a loopback default falls back to HTTP."""
        parts = urlsplit(url)
        scheme, netloc = parts.scheme or host.scheme, parts.netloc or host.host
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        last_error: Optional[BaseException] = None
        for attempt in range(self.retries):
            conn = self._connection(scheme, netloc, host)
            try:
                conn.request(method, target, headers=headers)
                response = _Response(conn.getresponse(), (scheme, netloc))
            except ssl.SSLCertVerificationError as exc:
                self._drop_connection(scheme, netloc)
                raise RegistryError(
                    f"the TLS certificate of {scheme}://{netloc} is not trusted "
                    f"({exc.verify_message}): give its CA with `ca` in hosts.toml "
                    "(or skip_verify, for testing only)"
                ) from None
            except ssl.SSLError as exc:
                self._drop_connection(scheme, netloc)
                if host.http_fallback and scheme == "https":
                    plain = replace(host, scheme="http", http_fallback=False, skip_verify=False)
                    self._replace_host(host, plain)
                    return self._send(plain, method, url.replace("https://", "http://", 1), headers)
                last_error = exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection(scheme, netloc)
                last_error = exc
            else:
                if response.status in RETRY_STATUSES and attempt + 1 < self.retries:
                    response.read()
                    time.sleep(self._retry_delay(response, attempt, f"{scheme}://{netloc}{target}"))
                    continue
                return response, host
            if attempt + 1 < self.retries:
                time.sleep(self.backoff * (2**attempt))
        reason = (
            last_error.strerror
            if isinstance(last_error, OSError) and last_error.strerror
            else last_error
        )
        raise RegistryError(f"cannot reach registry {scheme}://{netloc}: {reason}")

    def _retry_delay(self, response: _Response, attempt: int, url: str) -> float:
        """The backoff, or longer when a 429/503 asks for it with Retry-After. An ask beyond
        MAX_RETRY_AFTER (or the pull's timeout) fails at once: a run must not sit for an hour."""
        delay = self.backoff * (2**attempt)
        asked = _retry_after(response.headers.get("retry-after", ""))
        if asked is None:
            return delay
        if asked > min(MAX_RETRY_AFTER, self.timeout):
            raise RegistryError(
                f"{url} answered {response.status} and asks to wait {asked:.0f} s before "
                "trying again: try again later"
            )
        return max(delay, asked)

    def _replace_host(self, old: RegistryHost, new: RegistryHost) -> None:
        self.hosts = [new if h is old else h for h in self.hosts]

    def request(
        self,
        host: RegistryHost,
        method: str,
        path: str,
        headers: Optional[Mapping[str, str]] = None,
        follow_redirects: bool = True,
    ) -> Tuple[_Response, RegistryHost]:
        """A request to ``host`` with its hosts.toml headers, authenticating on 401."""
        url = f"{host.scheme}://{host.host}{path}"
        all_headers = {"User-Agent": USER_AGENT}
        for name, values in host.headers.items():
            all_headers[name] = ", ".join(values)
        all_headers.update(headers or {})
        authorized = False
        redirects = 0
        while True:
            same_host = urlsplit(url).netloc == host.host
            if same_host and host.host in self._auth:
                all_headers["Authorization"] = self._auth[host.host]
            elif not same_host:
                all_headers.pop("Authorization", None)  # never hand credentials to a blob store
            response, host = self._send(host, method, url, all_headers)
            if host.scheme == "http" and url.startswith("https://"):
                url = "http://" + url[len("https://") :]
            if response.status == 401 and same_host and not authorized:
                challenge = response.headers.get("www-authenticate", "")
                response.read()
                self._authorize(host, challenge)
                authorized = True
                continue
            if response.status in (301, 302, 303, 307, 308) and follow_redirects:
                response.read()
                if redirects == MAX_REDIRECTS:
                    raise RegistryError(
                        f"{url} redirected more than {MAX_REDIRECTS} times (a redirect loop?): "
                        "the registry, or a proxy in front of it, is misconfigured"
                    )
                url = urljoin(url, response.headers.get("location", ""))
                redirects += 1
                continue
            if response.status == 401:
                response.read()
                raise self._refused(host)
            return response, host

    def _refused(self, host: RegistryHost) -> AuthenticationFailed:
        if self.credentials:
            return AuthenticationFailed(
                f"registry {host.describe()} refused the credentials of user "
                f"{self.credentials.username!r} for {self.reference.repository} "
                "(401 Unauthorized): check the username and password"
            )
        return AuthenticationFailed(
            f"registry {host.describe()} requires authentication for "
            f"{self.reference.repository} (401 Unauthorized): give a username and password"
        )

    # -- authentication ----------------------------------------------------------------

    def _authorize(self, host: RegistryHost, challenge: str) -> None:
        for scheme, params in parse_challenges(challenge):
            if scheme == "bearer" and params.get("realm"):
                self._auth[host.host] = "Bearer " + self._fetch_token(host, params)
                return
            if scheme == "basic":
                if not self.credentials:
                    raise self._refused(host)
                self._auth[host.host] = self.credentials.basic_header()
                return
        raise RegistryError(
            f"registry {host.describe()} asked for an authentication ocirt does not speak: "
            f"{challenge!r}"
        )

    def _fetch_token(self, host: RegistryHost, params: Mapping[str, str]) -> str:
        realm = params["realm"]
        query = {"service": params.get("service", ""), "scope": params.get("scope") or self.scope}
        query = {k: v for k, v in query.items() if v}
        creds = self.credentials
        realm_parts = urlsplit(realm)
        token_host = replace(
            host,
            scheme=realm_parts.scheme,
            host=realm_parts.netloc,
            headers={},
            http_fallback=False,
        )
        response = None
        if creds.identity_token or (creds.username and creds.password):
            form = dict(query, client_id="ocirt")
            if creds.identity_token:
                form.update(grant_type="refresh_token", refresh_token=creds.identity_token)
            else:
                form.update(grant_type="password", username=creds.username, password=creds.password)
            body_headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": USER_AGENT,
            }
            response = self._post(token_host, realm, urlencode(form), body_headers)
            if response.status in (400, 401, 404, 405):
                response.read()
                response = None  # the server has no OAuth endpoint: use GET with basic auth
        if response is None:
            headers = {"User-Agent": USER_AGENT}
            if creds.username:
                headers["Authorization"] = creds.basic_header()
            separator = "&" if realm_parts.query else "?"
            response, _ = self._send(
                token_host, "GET", realm + separator + urlencode(query), headers
            )
        body = response.read()
        if response.status == 401 or response.status == 403:
            raise AuthenticationFailed(
                f"the token server {realm_parts.scheme}://{realm_parts.netloc} of "
                f"{host.describe()} refused "
                + (f"the credentials of user {creds.username!r}" if creds else "anonymous access")
                + f" for {self.reference.repository} ({response.status})"
            )
        if response.status != 200:
            raise RegistryError(f"token server {realm} answered {response.status}")
        try:
            answer = json.loads(body)
        except ValueError:
            raise RegistryError(f"token server {realm} did not answer JSON") from None
        token = answer.get("token") or answer.get("access_token")
        if not token:
            raise RegistryError(f"token server {realm} answered without a token")
        return token

    def _post(self, host: RegistryHost, url: str, body: str, headers: Dict[str, str]) -> _Response:
        parts = urlsplit(url)
        conn = self._connection(parts.scheme, parts.netloc, host)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", target, body=body.encode(), headers=headers)
            return _Response(conn.getresponse(), (parts.scheme, parts.netloc))
        except (OSError, http.client.HTTPException) as exc:
            self._drop_connection(parts.scheme, parts.netloc)
            raise RegistryError(
                f"cannot reach token server {parts.scheme}://{parts.netloc}: {exc}"
            ) from None

    # -- the pull operations ------------------------------------------------------------

    def _hosts_with(self, capability: str) -> List[RegistryHost]:
        return [h for h in self.hosts if capability in h.capabilities]

    def resolve(self) -> Tuple[Dict[str, Any], RegistryHost]:
        """The reference's descriptor (mediaType, digest, size) and the endpoint that had it."""
        first_error: Optional[OcirtError] = None
        tried = []
        for host in self._hosts_with("resolve"):
            try:
                found = self._resolve_on(host)
            except ImageNotFound as exc:
                tried.append(exc.endpoint or host.describe())
                continue
            except (RegistryError, InvalidInput) as exc:
                if isinstance(exc, AuthenticationFailed) and host is self.hosts[-1]:
                    raise
                first_error = first_error or exc
                continue
            if found is not None:
                return found
        if first_error is not None:
            raise first_error
        raise ImageNotFound(f"{self.reference} not found (asked {', '.join(tried) or 'no host'})")

    def _resolve_on(self, host: RegistryHost) -> Optional[Tuple[Dict[str, Any], RegistryHost]]:
        path = self._url_path(host, "manifests", self.reference.object)
        accept = {"Accept": mt.MANIFEST_ACCEPT}
        response, host = self.request(host, "HEAD", path, accept)
        response.read()
        if response.status == 404:
            raise ImageNotFound(f"{self.reference} not found on {host.describe()}", host.describe())
        digest = response.headers.get("docker-content-digest") or self.reference.digest
        media = (response.headers.get("content-type") or "").split(";")[0].strip()
        size = response.headers.get("content-length")
        if (response.status == 200 and digest and mt.is_index(media)) or (
            response.status == 200 and digest and mt.is_manifest(media)
        ):
            if self.reference.digest and digest != self.reference.digest:
                raise RegistryError(
                    f"{host.describe()} answered {digest} for {self.reference}: refusing it"
                )
            return {"mediaType": media, "digest": digest, "size": int(size or 0)}, host
        # no usable HEAD answer: GET the manifest and look at it
        response, host = self.request(host, "GET", path, accept)
        body = response.read()
        if response.status == 404:
            raise ImageNotFound(f"{self.reference} not found on {host.describe()}", host.describe())
        if response.status != 200:
            raise RegistryError(
                f"{host.describe()} answered {response.status} for {self.reference}"
            )
        if len(body) > mt.MAX_MANIFEST_SIZE:
            raise InvalidInput(
                f"{self.reference}: manifest over {mt.MAX_MANIFEST_SIZE} bytes, refused"
            )
        computed = "sha256:" + hashlib.sha256(body).hexdigest()
        if self.reference.digest and computed != self.reference.digest:
            raise RegistryError(
                f"{host.describe()} served content that does not match {self.reference.digest}"
            )
        document = mt.parse_json_blob(body, f"manifest of {self.reference}")
        media = document.get("mediaType") or media
        if not (mt.is_index(media) or mt.is_manifest(media)):
            media = mt.OCI_INDEX if "manifests" in document else mt.OCI_MANIFEST
        return {"mediaType": media, "digest": computed, "size": len(body)}, host

    def open_blob(self, descriptor: Mapping[str, Any], offset: int = 0) -> Iterator[bytes]:
        """The blob's bytes from ``offset`` (a Range request when resuming)."""
        response, skip = self._get_blob(descriptor, offset)
        return self._body(descriptor, response, skip, offset)

    def _get_blob(self, descriptor: Mapping[str, Any], offset: int) -> Tuple[_Response, int]:
        """The answer serving the blob from ``offset``, and how many of its first bytes to
        skip (a registry that cannot serve the range sends it all)."""
        media = descriptor.get("mediaType", "")
        kind = "manifests" if mt.is_index(media) or mt.is_manifest(media) else "blobs"
        headers = {"Accept": mt.MANIFEST_ACCEPT} if kind == "manifests" else {}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        last: Optional[OcirtError] = None
        for host in self._hosts_with("pull"):
            try:
                response, host = self.request(
                    host, "GET", self._url_path(host, kind, descriptor["digest"]), headers
                )
            except RegistryError as exc:
                last = exc
                continue
            if response.status == 416 and offset:
                # the registry cannot serve the range: take it all and skip what we have
                response.read()
                headers.pop("Range")
                path = self._url_path(host, kind, descriptor["digest"])
                response, host = self.request(host, "GET", path, headers)
            if response.status == 404:
                response.read()
                last = ImageNotFound(f"{descriptor['digest']} not found on {host.describe()}")
                continue
            if response.status not in (200, 206):
                response.read()
                last = RegistryError(
                    f"{host.describe()} answered {response.status} for {descriptor['digest']}"
                )
                continue
            return response, (offset if response.status == 200 else 0)
        raise last or ImageNotFound(f"{descriptor['digest']}: no host to pull from")

    def _body(
        self, descriptor: Mapping[str, Any], response: _Response, skip: int, offset: int
    ) -> Iterator[bytes]:
        """The bytes of ``response``; a body that breaks off (reset, no data for ``timeout``
        seconds, closed before its end) is asked for again from where it stopped with a
        Range request, ``retries`` times in all, so a flaky link costs no bytes twice."""
        size = int(descriptor["size"])
        position = offset
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)))
                response, skip = self._get_blob(descriptor, position)
            try:
                for chunk in self._stream(response, skip):
                    position += len(chunk)
                    yield chunk
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection(*response.origin)
                reason = self._broken_off(exc)
            else:
                if position >= size:
                    return
                self._drop_connection(*response.origin)
                reason = "the connection closed before the end"
        scheme, netloc = response.origin
        raise RegistryError(
            f"{scheme}://{netloc} stopped sending {descriptor['digest']} at byte {position} of "
            f"{size} ({reason}; tried {self.retries} times): check the registry and the network "
            "to it, then run it again"
        )

    def _broken_off(self, exc: BaseException) -> str:
        if isinstance(exc, socket.timeout):
            return f"no data for {self.timeout:g} s"
        if isinstance(exc, http.client.IncompleteRead):
            return "the connection closed before the end"
        return (exc.strerror if isinstance(exc, OSError) else "") or str(exc) or type(exc).__name__

    @staticmethod
    def _stream(response: _Response, skip: int) -> Iterator[bytes]:
        for chunk in response.chunks():
            if skip:
                if len(chunk) <= skip:
                    skip -= len(chunk)
                    continue
                chunk, skip = chunk[skip:], 0
            yield chunk


def _retry_after(value: str) -> Optional[float]:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
