"""docker's ``-p`` syntax, parsed into portmap's ``portMappings`` entries.

Accepted, as ``docker run -p``: ``HOST:CONTAINER``, ``IP:HOST:CONTAINER``, ranges of equal
length (``8080-8081:80-81``), a ``/tcp`` or ``/udp`` suffix, ``[::1]:8080:80``. A host port
is required: portmap maps fixed ports, and a random one would change on every
recreation. Each entry expands to one mapping per port, in the canonical form stored with
the container: ``{"host_ip", "host_port", "container_port", "protocol"}``.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Tuple

from ..common.errors import InvalidInput

PROTOCOLS = ("tcp", "udp", "sctp")
SYNTAX = "[IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp], e.g. 8080:80 or 127.0.0.1:8080:80/tcp"


def _port_range(text: str, option: str, spec: str) -> Tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        first, last = int(low), int(high) if sep else int(low)
    except ValueError:
        raise InvalidInput(
            f"{option}: {spec!r}: {text!r} is not a port or range; {SYNTAX}"
        ) from None
    if not 1 <= first <= last <= 65535:
        raise InvalidInput(f"{option}: {spec!r}: ports are 1-65535, low to high")
    return first, last


def _split(spec: str, option: str) -> Tuple[str, str, str]:
    """(host_ip, host_ports, container_ports) of ``spec`` without its protocol."""
    if spec.startswith("["):  # [v6]:host:container
        addr, _, rest = spec[1:].partition("]:")
        parts = [addr, *rest.split(":")]
    else:
        parts = spec.split(":")
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        try:
            ipaddress.ip_address(parts[0])
        except ValueError:
            raise InvalidInput(
                f"{option}: {spec!r}: {parts[0]!r} is not an IP address; {SYNTAX}"
            ) from None
        return parts[0], parts[1], parts[2]
    raise InvalidInput(f"{option}: {spec!r} needs a host port; {SYNTAX}")


def parse_port(value: Any, option: str = "published_ports") -> List[Dict[str, Any]]:
    """One ``-p`` value as one mapping per port."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{option}: expected a string like 8080:80, got {value!r}")
    spec, _, protocol = value.partition("/")
    protocol = (protocol or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise InvalidInput(f"{option}: {value!r}: protocol must be one of {', '.join(PROTOCOLS)}")
    host_ip, host_text, container_text = _split(spec, option)
    if not host_text:
        raise InvalidInput(
            f"{option}: {value!r}: give the host port (random ports are not supported); {SYNTAX}"
        )
    host = _port_range(host_text, option, value)
    inside = _port_range(container_text, option, value)
    if host[1] - host[0] != inside[1] - inside[0]:
        raise InvalidInput(f"{option}: {value!r}: host and container ranges differ in length")
    return [
        {
            "host_ip": host_ip,
            "host_port": host[0] + i,
            "container_port": inside[0] + i,
            "protocol": protocol,
        }
        for i in range(host[1] - host[0] + 1)
    ]


def parse_ports(values: Any, option: str = "published_ports") -> List[Dict[str, Any]]:
    """Every value, expanded, sorted; a host port given twice is refused."""
    if isinstance(values, (str, int)):
        values = [values]
    found: List[Dict[str, Any]] = []
    for value in values or []:
        found.extend(parse_port(value, option))
    found.sort(key=lambda p: (p["host_port"], p["protocol"], p["host_ip"]))
    seen: Dict[Tuple[int, str], str] = {}
    for p in found:
        key = (p["host_port"], p["protocol"])
        if key in seen and (not seen[key] or not p["host_ip"] or seen[key] == p["host_ip"]):
            raise InvalidInput(f"{option}: host port {key[0]}/{key[1]} is published twice")
        seen[key] = p["host_ip"]
    return found


def port_mappings(ports: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The ``portMappings`` capability argument (CNI CONVENTIONS.md)."""
    out = []
    for p in ports:
        entry: Dict[str, Any] = {
            "hostPort": p["host_port"],
            "containerPort": p["container_port"],
            "protocol": p["protocol"],
        }
        if p.get("host_ip"):
            entry["hostIP"] = p["host_ip"]
        out.append(entry)
    return out


def format_port(p: Dict[str, Any]) -> str:
    """docker ps's form: ``127.0.0.1:8080->80/tcp`` (``0.0.0.0`` when on every address)."""
    return (
        f"{p.get('host_ip') or '0.0.0.0'}:{p['host_port']}->{p['container_port']}/{p['protocol']}"
    )
