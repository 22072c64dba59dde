"""The bridge networks ocirt defines, as CNI conflists, and back.

Like nerdctl's (``pkg/netutil/netutil_unix.go``): bridge with host-local IPAM and the
host as gateway, then ``portmap`` (published ports), ``firewall`` (``ingressPolicy
same-bridge`` isolates networks from each other) and ``tuning``. The loopback of each
container is a separate list on ``lo``, as containerd's go-cni ``WithLoNetwork``. The
options of a network are read back from its conflist, so the file is the only record.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional

from ..common.command import run_command
from ..common.errors import CniError, InvalidInput
from .conflist import CNI_VERSION, NetworkList
from .paths import CniPaths

DEFAULT_NETWORK = "bridge"  # docker's and nerdctl's name
DEFAULT_BRIDGE = "ocirt0"
DEFAULT_SUBNET = "10.7.0.0/24"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
BRIDGE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")  # IFNAMSIZ - 1
LOOPBACK = NetworkList.from_dict(
    {"cniVersion": CNI_VERSION, "name": "cni-loopback", "plugins": [{"type": "loopback"}]}
)


@dataclass(frozen=True)
class BridgeNetwork:
    name: str
    bridge: str
    subnet: str
    gateway: str
    ip_masquerade: bool = True
    isolated: bool = True
    mtu: Optional[int] = None

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def conflist(self, paths: CniPaths) -> NetworkList:
        bridge: Dict[str, Any] = {
            "type": "bridge",
            "bridge": self.bridge,
            "isGateway": True,
            "ipMasq": self.ip_masquerade,
            "hairpinMode": True,
            "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": self.subnet, "gateway": self.gateway}]],
                "routes": [{"dst": "0.0.0.0/0"}],
                "dataDir": paths.ipam_dir,
            },
        }
        if self.mtu:
            bridge["mtu"] = self.mtu
        firewall = {"type": "firewall", "backend": "iptables"}
        if self.isolated:
            firewall["ingressPolicy"] = "same-bridge"
        plugins = [
            bridge,
            {"type": "portmap", "capabilities": {"portMappings": True}},
            firewall,
            {"type": "tuning"},
        ]
        return NetworkList.from_dict(
            {"cniVersion": CNI_VERSION, "name": self.name, "plugins": plugins}
        )

    @classmethod
    def from_conflist(cls, networks: NetworkList) -> Optional[BridgeNetwork]:
        """The options of a list ocirt wrote (None for a list of another shape)."""
        first = networks.plugins[0]
        if first.get("type") != "bridge":
            return None
        try:
            rng = first["ipam"]["ranges"][0][0]
        except (KeyError, IndexError, TypeError):
            return None
        isolated = any(
            p.get("type") == "firewall" and p.get("ingressPolicy") == "same-bridge"
            for p in networks.plugins
        )
        return cls(
            networks.name,
            str(first.get("bridge") or "cni0"),
            str(rng.get("subnet")),
            str(rng.get("gateway") or ""),
            bool(first.get("ipMasq")),
            isolated,
            first.get("mtu"),
        )


def validated(
    name: str,
    bridge: Optional[str],
    subnet: Optional[str],
    gateway: Optional[str],
    ip_masquerade: bool = True,
    isolated: bool = True,
    mtu: Optional[int] = None,
) -> BridgeNetwork:
    """A network from user input, each value checked with the option's name."""
    if not NAME_RE.match(name or ""):
        raise InvalidInput(f"name: {name!r} must match {NAME_RE.pattern}")
    bridge = bridge or ("br-" + name)[:15]
    if not BRIDGE_RE.match(bridge):
        raise InvalidInput(f"bridge: {bridge!r} must be 1-15 of A-Z a-z 0-9 _ . -")
    if not subnet:
        raise InvalidInput("subnet: required, e.g. 10.7.1.0/24")
    try:
        net = ipaddress.ip_network(subnet, strict=True)
    except ValueError as exc:
        raise InvalidInput(f"subnet: {subnet!r} is not a network address ({exc})") from None
    if net.version != 4 or net.prefixlen > 30:
        raise InvalidInput(f"subnet: {subnet!r} must be IPv4 with room for hosts (/30 or wider)")
    gw = gateway or str(next(net.hosts()))
    try:
        if ipaddress.ip_address(gw) not in net:
            raise ValueError("outside the subnet")
    except ValueError as exc:
        raise InvalidInput(f"gateway: {gw!r} is not an address of {subnet} ({exc})") from None
    if mtu is not None and not 576 <= mtu <= 65535:
        raise InvalidInput(f"mtu: {mtu} must be between 576 and 65535")
    return BridgeNetwork(name, bridge, str(net), gw, ip_masquerade, isolated, mtu)


def remove_bridge(paths: CniPaths, bridge: str) -> None:
    """Delete the network's bridge device (the bridge plugin's DEL leaves it), if present."""
    argv = ["ip", "link", "delete", bridge, "type", "bridge"]
    if paths.host_netns:
        argv = ["nsenter", f"--net={paths.host_netns}", "--", *argv]
    done = run_command(argv, CniError, timeout=30)
    if done.returncode != 0 and "Cannot find device" not in done.stderr:
        raise CniError(f"cannot delete the bridge {bridge}: {done.stderr.strip()}")


def default_network() -> BridgeNetwork:
    return validated(DEFAULT_NETWORK, DEFAULT_BRIDGE, DEFAULT_SUBNET, None)
