"""The options of one registry host's hosts.toml, each declared once: the server's and each
mirror's endpoint settings, the host itself and its mirrors.

The registry module's argument_spec is generated from ``HOST_OPTIONS``; the writer checks
an endpoint with the validators declared here (``ENDPOINT_OPTIONS``), so a typo in a
capability or a header name is refused naming the option, before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

from ..common.errors import InvalidInput
from ..common.options import Option, OptionTable
from .pem import is_pem

CAPABILITIES = ("pull", "resolve", "push")
STATES = ("present", "absent")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _capabilities(label: str, value: Any) -> None:
    bad = [c for c in value if c not in CAPABILITIES] if isinstance(value, list) else []
    if bad or not isinstance(value, list):
        raise InvalidInput(
            f"{label}: {bad or value!r} not allowed; allowed: {', '.join(CAPABILITIES)}"
        )


def _path_or_pem(label: str, value: Any) -> None:
    if not isinstance(value, str) or not value or not (is_pem(value) or value.startswith("/")):
        raise InvalidInput(f"{label}: allowed: an absolute path or PEM content (-----BEGIN ...)")


def _header_value_ok(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def _header(label: str, value: Any) -> None:
    for name, item in value.items():
        if not HEADER_NAME_RE.match(str(name)) or not _header_value_ok(item):
            raise InvalidInput(
                f"{label} {name}: allowed: an HTTP header name with a string or "
                f"list of strings as value"
            )


def _endpoint_options(default_capabilities: Any = None) -> list:
    return [
        Option("capabilities", "list", "What the endpoint may be used for.", elements="str",
               choices=CAPABILITIES, default=default_capabilities, validator=_capabilities),
        Option("ca", "str", "CA certificate, a path or PEM content.", validator=_path_or_pem),
        Option("client_cert", "str", "Client certificate, a path or PEM content.",
               validator=_path_or_pem),
        Option("client_key", "str", "Key of the client certificate, a path or PEM content.",
               validator=_path_or_pem, no_log=True),
        Option("skip_verify", "bool", "Do not verify the TLS certificate."),
        Option("header", "dict", "HTTP headers sent to the endpoint. Secrets.", no_log=True,
               validator=_header),
        Option("override_path", "bool", "The URL holds the full API path (no /v2 is added)."),
    ]


ENDPOINT_OPTIONS = OptionTable("registry endpoint", _endpoint_options())
MIRROR_OPTIONS = OptionTable(
    "registry mirror",
    [
        Option("url", "str", "Mirror URL, such as https://mirror.test:5000.", required=True),
        *_endpoint_options(default_capabilities=["pull", "resolve"]),
    ],
)
HOST_OPTIONS = OptionTable(
    "registry host",
    [
        Option("host", "str", "Registry host[:port], or _default.", required=True),
        Option("state", "str", "absent removes hosts.toml and the files written beside it.",
               choices=STATES, default="present"),
        Option("server", "str", "URL of the registry itself."),
        *_endpoint_options(),
        Option("mirrors", "list", "Mirrors, in the order containerd tries them.",
               elements="dict", default=[], suboptions=MIRROR_OPTIONS),
    ],
)
