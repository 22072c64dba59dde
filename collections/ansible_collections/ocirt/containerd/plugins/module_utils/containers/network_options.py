"""The network options of a container: which networks, which published ports, DNS and
hosts entries, parsed into the canonical form stored with the container.

Semantics follow docker and community.docker's docker_container: ``network_mode`` is
``none``, ``host`` or the name of a network; ``networks`` lists networks (the first becomes
``eth0``); publishing ports without naming a network attaches the default network
``bridge``. The options only reach the stored configuration when given, so containers
that use none of them keep their configuration hash.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Dict, List, Mapping

from ..cni.bridge_network import NAME_RE
from ..cni.ports import parse_ports
from ..common.errors import InvalidInput
from .option_table import DEFAULT_NETWORK_MODE, NETWORK_MODES
from .option_values import str_list

if TYPE_CHECKING:
    from .options import ContainerOptions


def _network_name(value: Any, option: str) -> str:
    name = str(value)
    if not NAME_RE.match(name):
        raise InvalidInput(f"{option}: {name!r} is not a network name ({NAME_RE.pattern})")
    return name


def parse_network_mode(value: Any, option: str) -> str:
    mode = str(value or DEFAULT_NETWORK_MODE)
    if mode in NETWORK_MODES:
        return mode
    try:
        return _network_name(mode, option)
    except InvalidInput:
        raise InvalidInput(
            f"{option}: {mode!r} is not one of {', '.join(NETWORK_MODES)} nor a network name"
        ) from None


def _one_network(entry: Any, option: str) -> Dict[str, Any]:
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, Mapping) or "name" not in entry:
        raise InvalidInput(f"{option}: each entry is a name or a mapping with 'name'")
    unknown = sorted(set(entry) - {"name", "ipv4_address", "aliases"})
    if unknown:
        raise InvalidInput(
            f"{option}: unknown key(s) {', '.join(unknown)}; allowed: name, ipv4_address, aliases"
        )
    out: Dict[str, Any] = {"name": _network_name(entry["name"], option)}
    if entry.get("ipv4_address"):
        try:
            out["ipv4_address"] = str(ipaddress.IPv4Address(str(entry["ipv4_address"])))
        except ValueError:
            raise InvalidInput(
                f"{option}: ipv4_address {entry['ipv4_address']!r} is not an IPv4 address"
            ) from None
    aliases = str_list(entry.get("aliases"), f"{option}.aliases") or []
    if aliases:
        out["aliases"] = sorted(set(aliases))
    return out


def parse_networks(value: Any, option: str) -> List[Dict[str, Any]]:
    if isinstance(value, (str, Mapping)):
        value = [value]
    networks = [_one_network(entry, option) for entry in value or []]
    names = [n["name"] for n in networks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"{option}: network {twice[0]!r} is listed twice")
    return networks


def parse_published_ports(value: Any, option: str) -> List[Dict[str, Any]]:
    return parse_ports(value, option)


def parse_dns(value: Any, option: str) -> List[str]:
    servers = str_list(value, option) or []
    for server in servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise InvalidInput(f"{option}: {server!r} is not an IP address") from None
    return servers


def parse_extra_hosts(value: Any, option: str) -> Dict[str, str]:
    if isinstance(value, Mapping):
        value = [f"{k}:{v}" for k, v in value.items()]
    hosts: Dict[str, str] = {}
    for item in str_list(value, option) or []:
        host, sep, address = item.partition(":")
        try:
            if not host or not sep:
                raise ValueError
            hosts[host] = str(ipaddress.ip_address(address))
        except ValueError:
            raise InvalidInput(f"{option}: {item!r} is not HOST:IP (db:10.7.1.5)") from None
    return hosts


def check_network_choice(options: ContainerOptions) -> None:
    """Refuse combinations that would mean two things (a host-network container on a
    bridge, two first networks). Ports published with ``network_mode`` none (the default,
    which Ansible always passes) go to the default network, as docker's do."""
    mode = options.network_mode
    if mode == "host" and (options.networks or options.published_ports):
        raise InvalidInput(
            "network_mode: host shares the machine's network; networks and published_ports "
            "need the container's own (leave network_mode out)"
        )
    if options.networks and mode not in NETWORK_MODES and mode != options.networks[0]["name"]:
        raise InvalidInput(
            f"network_mode: {mode!r} differs from the first of networks "
            f"({options.networks[0]['name']!r}); give one of them"
        )
