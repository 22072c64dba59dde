"""The options of a network, declared once (module argument_spec, CLI flags, validation)."""

from __future__ import annotations

from ..common.options import Option, OptionTable

STATES = ("present", "absent")

NETWORK_OPTIONS = OptionTable(
    "network",
    [
        Option(
            "name",
            "str",
            "Name of the network, as containers name it in O(ocirt.containerd.container#module:"
            "networks).",
            required=True,
        ),
        Option(
            "state",
            "str",
            "V(present) writes the network's conflist; V(absent) removes it.",
            default="present",
            choices=STATES,
        ),
        Option(
            "bridge",
            "str",
            "Name of the Linux bridge; defaults to C(br-NAME) (cut to 15 characters).",
            cli="--bridge",
        ),
        Option(
            "subnet",
            "str",
            "IPv4 subnet in CIDR form; defaults to the first free C(10.7.N.0/24).",
            cli="--subnet",
        ),
        Option(
            "gateway",
            "str",
            "Address of the bridge on the host; defaults to the first address of O(subnet).",
            cli="--gateway",
        ),
        Option(
            "ip_masquerade",
            "bool",
            "Masquerade traffic that leaves the subnet (outbound access for containers).",
            default=True,
        ),
        Option(
            "isolated",
            "bool",
            "Refuse traffic from other networks' bridges (the firewall plugin's "
            "C(ingressPolicy=same-bridge)).",
            default=True,
        ),
        Option("mtu", "int", "MTU of the bridge and the containers' interfaces.", cli="--mtu"),
    ],
)
