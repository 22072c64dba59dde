"""Where to pull a registry's images from, read from containerd's certs.d/hosts.toml.

ocirt resolves hosts exactly as containerd's CRI does with ``config_path`` set:
``<config_path>/<host[:port]>/hosts.toml`` (else ``<config_path>/_default/hosts.toml``), its
``[host."..."]`` mirrors in file order, then ``server``; without a file, docker-style
``*.crt``/``*.cert``/``*.key`` files in the host directory; without anything, HTTPS to the
registry itself (``registry-1.docker.io`` for docker.io), and for a loopback registry HTTPS
without verification falling back to plain HTTP, as containerd 1.7+ does.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from ..common.defaults import DEFAULT_REGISTRY_CONFIG_PATH
from ..common.errors import InvalidInput
from ..registry.reference import DEFAULT_DOMAIN, DOCKER_HUB_HOST
from .options import CAPABILITIES


def _loads(text: str) -> Dict[str, Any]:
    """hosts.toml as data: tomllib on Python 3.11+, tomlkit on older managed nodes."""
    try:
        import tomllib
    except ImportError:
        pass
    else:
        return tomllib.loads(text)
    try:
        import tomlkit
    except ImportError:
        raise InvalidInput(
            "reading hosts.toml needs Python 3.11+ or the tomlkit package"
        ) from None
    return tomlkit.parse(text).unwrap()


DEFAULT_CONFIG_PATH = DEFAULT_REGISTRY_CONFIG_PATH  # containerd's documented config_path
ALL_CAPABILITIES = CAPABILITIES
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


@dataclass
class RegistryHost:
    """One endpoint to try, in order: a mirror or the server itself."""

    scheme: str
    host: str  # host[:port]
    path: str = "/v2"
    capabilities: Tuple[str, ...] = ALL_CAPABILITIES
    ca_files: List[str] = field(default_factory=list)
    client_pairs: List[Tuple[str, Optional[str]]] = field(default_factory=list)
    skip_verify: bool = False
    headers: Dict[str, List[str]] = field(default_factory=dict)
    mirror_of: Optional[str] = None  # the registry a mirror stands in for (sent as ?ns=)
    http_fallback: bool = False  # try plain HTTP when the TLS handshake fails

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}"

    def describe(self) -> str:
        return f"{self.scheme}://{self.host}"


def host_only(domain: str) -> str:
    name = domain.rsplit(":", 1)[0] if not domain.startswith("[") else domain.split("]")[0] + "]"
    return name


def is_loopback(domain: str) -> bool:
    return host_only(domain) in LOOPBACK


def _default_server(domain: str) -> RegistryHost:
    if domain == DEFAULT_DOMAIN:
        return RegistryHost("https", DOCKER_HUB_HOST)
    if is_loopback(domain):
        return RegistryHost("https", domain, skip_verify=True, http_fallback=True)
    return RegistryHost("https", domain)


def _as_list(value: Any, what: str) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (str, list)):
        return [value] if isinstance(value, str) else list(value)
    raise InvalidInput(f"hosts.toml: {what} must be a string or a list")


def _resolve_path(base: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(base, path)


def _apply_settings(h: RegistryHost, table: Mapping[str, Any], base: str, where: str) -> None:
    if "capabilities" in table:
        caps = tuple(_as_list(table["capabilities"], f"{where} capabilities"))
        unknown = set(caps) - set(ALL_CAPABILITIES)
        if unknown:
            raise InvalidInput(f"{where}: unknown capabilities {sorted(unknown)}")
        h.capabilities = caps
    h.ca_files = [_resolve_path(base, p) for p in _as_list(table.get("ca"), f"{where} ca")]
    for item in _as_list(table.get("client"), f"{where} client"):
        if isinstance(item, list):
            cert, key = ([*item, None])[:2]
            h.client_pairs.append(
                (_resolve_path(base, cert), _resolve_path(base, key) if key else None)
            )
        else:
            h.client_pairs.append((_resolve_path(base, item), None))
    if "skip_verify" in table:
        h.skip_verify = bool(table["skip_verify"])
    for name, value in (table.get("header") or {}).items():
        h.headers[name] = [str(v) for v in _as_list(value, f"{where} header {name}")]


def _parse_url(url: str, override_path: bool, where: str) -> Tuple[str, str, str]:
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{where}: {url!r} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if not override_path and not path.endswith("/v2"):
        path += "/v2"
    return parts.scheme, parts.netloc, path or "/v2"


def _from_hosts_toml(domain: str, file: str) -> List[RegistryHost]:
    base = os.path.dirname(file)
    try:
        with open(file, encoding="utf-8") as f:
            doc = _loads(f.read())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}") from None
    hosts: List[RegistryHost] = []
    for url, table in (doc.get("host") or {}).items():
        where = f"{file} [host.{url!r}]"
        scheme, netloc, path = _parse_url(url, bool(table.get("override_path")), where)
        h = RegistryHost(scheme, netloc, path, capabilities=("pull", "resolve"))
        _apply_settings(h, table, base, where)
        if netloc != domain:
            h.mirror_of = domain
        hosts.append(h)
    if doc.get("server"):
        scheme, netloc, path = _parse_url(str(doc["server"]), bool(doc.get("override_path")), file)
        server = RegistryHost(scheme, netloc, path)
    else:
        server = _default_server(domain)
    _apply_settings(server, doc, base, file)
    hosts.append(server)
    return hosts


def _from_cert_files(domain: str, directory: str) -> List[RegistryHost]:
    server = _default_server(domain)
    server.ca_files = sorted(glob.glob(os.path.join(directory, "*.crt")))
    for cert in sorted(glob.glob(os.path.join(directory, "*.cert"))):
        key = cert[: -len(".cert")] + ".key"
        server.client_pairs.append((cert, key if os.path.exists(key) else None))
    if server.ca_files:
        server.skip_verify = False
        server.http_fallback = False
    return [server]


def registry_hosts(domain: str, config_path: Optional[str]) -> List[RegistryHost]:
    """The endpoints to try for ``domain``, in order."""
    if config_path:
        for name in (domain, "_default"):
            directory = os.path.join(config_path, name)
            file = os.path.join(directory, "hosts.toml")
            if os.path.isfile(file):
                return _from_hosts_toml(domain, file)
            if name == domain and os.path.isdir(directory):
                return _from_cert_files(domain, directory)
    return [_default_server(domain)]
