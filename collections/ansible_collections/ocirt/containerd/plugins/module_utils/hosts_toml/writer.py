"""Registry hosts files: ``<config_path>/<host[:port]>/hosts.toml``, containerd's format.

containerd (CRI, and the transfer service on 2.x) reads, for a registry host, the server
(``server`` plus top-level settings) and the ``[host."<url>"]`` mirrors, tried in file
order before the server. ``_default`` is the fallback for hosts without a directory. The
same format is read by the pull side of this library (module_utils/registry).

Certificates and keys may be given as paths or as PEM content; content is written to files
beside hosts.toml (keys mode 0600) and referenced by path; either is parsed first
(hosts_toml/pem.py), so a bad one is refused before anything is written. Header values are secrets
(authorization tokens): a hosts.toml with headers is mode 0600 and diffs show them masked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from ..common.errors import ConfigParseError, InvalidInput
from ..config.document import load, tomlkit
from .options import ENDPOINT_OPTIONS
from .pem import check_certificates, check_pair, is_pem

HOSTS_FILE = "hosts.toml"
DEFAULT_HOST = "_default"
MASK = "********"
HEADER_COMMENT = "Managed by ocirt (ocirt.containerd.registry); local edits are replaced."
HOST_RE = re.compile(
    r"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*"
    r"[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$"
)
URL_RE = re.compile(r"^https?://[^\s/\"]+(/[^\s\"]*)?$")
#: file names this library writes beside hosts.toml (so stale ones can be cleaned up)
OWNED_RE = re.compile(
    r"^(ca\.crt|client\.cert|client\.key|mirror[0-9]+-(ca\.crt|client\.cert"
    r"|client\.key))$"
)

HeaderValue = Union[str, List[str]]


@dataclass
class Endpoint:
    """Settings shared by the server and each mirror."""

    capabilities: Optional[List[str]] = None
    ca: Optional[str] = None  # path or PEM content
    client_cert: Optional[str] = None  # path or PEM content
    client_key: Optional[str] = None  # path or PEM content
    skip_verify: Optional[bool] = None
    header: Dict[str, HeaderValue] = field(default_factory=dict)
    override_path: Optional[bool] = None

    def validate(self, where: str) -> None:
        """Each setting as its option declares, then the certificates themselves."""
        for option in ENDPOINT_OPTIONS:
            value = getattr(self, option.name)
            if value is not None and value != {} and option.validator is not None:
                option.validator(f"{where}{option.name}", value)
        if self.client_key is not None and self.client_cert is None:
            raise InvalidInput(f"{where}client_key needs client_cert")
        if self.ca is not None:
            check_certificates(self.ca, f"{where}ca")
        if self.client_cert is not None:
            check_pair(self.client_cert, self.client_key, where)


@dataclass
class Mirror(Endpoint):
    url: str = ""


@dataclass
class HostsConfig:
    """Everything of one registry host's hosts.toml."""

    host: str
    server: Optional[str] = None
    endpoint: Endpoint = field(default_factory=Endpoint)
    mirrors: List[Mirror] = field(default_factory=list)

    def validate(self) -> None:
        if self.host != DEFAULT_HOST and not HOST_RE.match(self.host or ""):
            raise InvalidInput(
                f"host: {self.host!r} is not allowed; allowed: a registry host[:port] such as "
                f"registry.test or registry.test:5000, or {DEFAULT_HOST}"
            )
        if self.server is not None and not URL_RE.match(self.server):
            raise InvalidInput(
                f"server: {self.server!r} is not allowed; allowed: an http:// or https:// URL"
            )
        self.endpoint.validate("")
        seen = set()
        for i, mirror in enumerate(self.mirrors, 1):
            if not URL_RE.match(mirror.url or ""):
                raise InvalidInput(
                    f"mirrors[{i}].url: {mirror.url!r} is not allowed; allowed: "
                    f"an http:// or https:// URL"
                )
            if mirror.url in seen:
                raise InvalidInput(f"mirrors[{i}].url: {mirror.url} is listed twice")
            seen.add(mirror.url)
            mirror.validate(f"mirrors[{i}].")


@dataclass
class RenderedFile:
    name: str  # relative to the host directory
    data: bytes
    mode: int


def host_dir(config_path: str, host: str) -> str:
    return os.path.join(config_path, host)


def _endpoint_table(
    ep: Endpoint, directory: str, prefix: str, files: List[RenderedFile], table: Any
) -> None:
    """Fill ``table`` with the endpoint's keys; PEM content becomes files beside hosts.toml."""

    def materialise(value: str, name: str, mode: int) -> str:
        if not is_pem(value):
            return value
        data = value if value.endswith("\n") else value + "\n"
        files.append(RenderedFile(prefix + name, data.encode(), mode))
        return os.path.join(directory, prefix + name)

    if ep.capabilities is not None:
        table["capabilities"] = list(ep.capabilities)
    if ep.ca is not None:
        table["ca"] = materialise(ep.ca, "ca.crt", 0o644)
    if ep.client_cert is not None:
        cert = materialise(ep.client_cert, "client.cert", 0o644)
        key = ep.client_key
        table["client"] = cert if key is None else [[cert, materialise(key, "client.key", 0o600)]]
    for flag in ("skip_verify", "override_path"):
        if getattr(ep, flag) is not None:
            table[flag] = getattr(ep, flag)
    if ep.header:
        header = tomlkit.table()
        for k, v in ep.header.items():
            header[k] = list(v) if isinstance(v, list) else v
        table["header"] = header


def render(config: HostsConfig, config_path: str) -> List[RenderedFile]:
    """hosts.toml (last) and the PEM files it refers to, with their modes."""
    config.validate()
    directory = host_dir(config_path, config.host)
    files: List[RenderedFile] = []
    doc = tomlkit.document()
    doc.add(tomlkit.comment(HEADER_COMMENT))
    if config.server is not None:
        doc["server"] = config.server
    _endpoint_table(config.endpoint, directory, "", files, doc)
    if config.mirrors:
        hosts = tomlkit.table(is_super_table=True)
        for i, mirror in enumerate(config.mirrors, 1):
            t = tomlkit.table()
            _endpoint_table(mirror, directory, f"mirror{i}-", files, t)
            hosts[mirror.url] = t
        doc.add(tomlkit.nl())
        doc["host"] = hosts
    secret = bool(config.endpoint.header) or any(m.header for m in config.mirrors)
    text = tomlkit.dumps(doc)
    files.append(RenderedFile(HOSTS_FILE, text.encode(), 0o600 if secret else 0o644))
    return files


def _mask_table(table: Any) -> None:
    header = table.get("header") if hasattr(table, "get") else None
    if header is not None and hasattr(header, "items"):
        for k, v in list(header.items()):
            header[k] = [MASK for _ in v] if isinstance(v, list) else MASK


def mask_secrets(text: str) -> str:
    """hosts.toml text with every header value replaced by ********, for diffs and logs."""
    if "header" not in text:
        return text
    try:
        doc = load(text, HOSTS_FILE)
    except ConfigParseError:
        return "# (hosts.toml is not valid TOML; not shown because it may hold secrets)\n"
    _mask_table(doc)
    hosts = doc.get("host")
    if hosts is not None and hasattr(hosts, "values"):
        for t in hosts.values():
            _mask_table(t)
    return tomlkit.dumps(doc)


def referenced_files(text: str, directory: str) -> List[str]:
    """Files inside ``directory`` an existing hosts.toml points at (ca, client)."""
    try:
        doc = load(text, HOSTS_FILE).unwrap()
    except ConfigParseError:
        return []
    tables = [doc, *[t for t in (doc.get("host") or {}).values() if isinstance(t, dict)]]
    found: List[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if os.path.dirname(value) == directory:
                found.append(os.path.basename(value))
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for t in tables:
        walk(t.get("ca"))
        walk(t.get("client"))
    return found


def parse(text: str) -> Tuple[Optional[str], List[str]]:
    """(server, mirror URLs in order) of a hosts.toml; for reports and tests."""
    doc = load(text, HOSTS_FILE).unwrap()
    return doc.get("server"), list((doc.get("host") or {}).keys())
