"""Networks: a bridge network's conflist present with the declared options, or absent.

``observe`` reads the conflists in our directory and the attachments in libcni's result
cache; ``decide`` is pure (tests/reconcile/test_network.py). Options not given keep the
values the network has (a new one gets the first free ``10.7.N.0/24``). A network with
containers attached is never changed or removed: the refusal names them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..cni import bridge_network, chain, network_store
from ..cni.bridge_network import BridgeNetwork
from ..cni.options import NETWORK_OPTIONS
from ..cni.paths import CniPaths
from ..common.errors import InvalidInput, NetworkInUse
from .plan import Action, Applied, Plan, nothing_to_do


@dataclass
class DesiredNetwork:
    name: str
    state: str = "present"
    bridge: Optional[str] = None
    subnet: Optional[str] = None
    gateway: Optional[str] = None
    ip_masquerade: bool = True
    isolated: bool = True
    mtu: Optional[int] = None

    def validate(self) -> None:
        NETWORK_OPTIONS.check(vars(self))


@dataclass
class ObservedNetworks:
    current: Optional[Dict[str, Any]] = None  # BridgeNetwork.as_dict() of the network
    others: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # other networks by name
    users: List[str] = field(default_factory=list)  # attached containers ("ns-id")
    foreign: bool = False  # a conflist of that name that ocirt did not write


def observe(paths: CniPaths, desired: DesiredNetwork) -> ObservedNetworks:
    observed = ObservedNetworks(users=chain.attached(paths, desired.name))
    for name, networks in network_store.all_networks(paths).items():
        network = BridgeNetwork.from_conflist(networks)
        if name == desired.name:
            observed.current = network.as_dict() if network else None
            observed.foreign = network is None
        elif network is not None:
            observed.others[name] = network.as_dict()
    return observed


def _free_subnet(others: Dict[str, Dict[str, Any]]) -> str:
    taken = [ipaddress.ip_network(o["subnet"]) for o in others.values()]
    for n in range(1, 256):
        candidate = ipaddress.ip_network(f"10.7.{n}.0/24")
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise InvalidInput("subnet: no free 10.7.N.0/24 is left; give one")


def wanted(desired: DesiredNetwork, observed: ObservedNetworks) -> BridgeNetwork:
    """The network as it should be: what is given, else what it has (pure)."""
    have = observed.current or {}
    default = bridge_network.default_network() if desired.name == "bridge" else None
    subnet = desired.subnet or have.get("subnet")
    if subnet is None:
        subnet = default.subnet if default else _free_subnet(observed.others)
    gateway = desired.gateway or (have.get("gateway") if subnet == have.get("subnet") else None)
    network = bridge_network.validated(
        desired.name,
        desired.bridge or have.get("bridge") or (default.bridge if default else None),
        subnet,
        gateway,
        desired.ip_masquerade,
        desired.isolated,
        desired.mtu if desired.mtu is not None else have.get("mtu"),
    )
    _refuse_clashes(network, observed.others)
    return network


def _refuse_clashes(network: BridgeNetwork, others: Dict[str, Dict[str, Any]]) -> None:
    mine = ipaddress.ip_network(network.subnet)
    for name, other in sorted(others.items()):
        if mine.overlaps(ipaddress.ip_network(other["subnet"])):
            raise InvalidInput(
                f"subnet: {network.subnet} overlaps {other['subnet']} of network {name!r}"
            )
        if other["bridge"] == network.bridge:
            raise InvalidInput(f"bridge: {network.bridge} is the bridge of network {name!r}")


def _refuse_in_use(name: str, users: List[str], doing: str) -> None:
    if users:
        raise NetworkInUse(
            f"network {name!r} is in use by {len(users)} container(s): {', '.join(users)}; "
            f"remove them before {doing} it"
        )


def decide(desired: DesiredNetwork, observed: ObservedNetworks) -> Plan:
    subject = f"network {desired.name}"
    if observed.foreign:
        raise InvalidInput(f"name: network {desired.name!r} has a conflist ocirt did not write")
    if desired.state == "absent":
        if observed.current is None:
            return nothing_to_do("network does not exist", None, subject)
        _refuse_in_use(desired.name, observed.users, "removing")
        return Plan(
            [Action("delete", desired.name, "network exists")],
            before=observed.current,
            subject=subject,
        )
    after = wanted(desired, observed).as_dict()
    if observed.current is None:
        action = Action("create", desired.name, "network does not exist", {"network": after})
        return Plan([action], before=None, after=after, subject=subject)
    if after == observed.current:
        return nothing_to_do("network exists with the declared options", after, subject)
    changed = sorted(k for k in after if after[k] != observed.current.get(k))
    _refuse_in_use(desired.name, observed.users, "changing")
    action = Action("update", desired.name, f"{', '.join(changed)} differ", {"network": after})
    return Plan([action], before=observed.current, after=after, subject=subject)


def plan(paths: CniPaths, desired: DesiredNetwork) -> Plan:
    desired.validate()
    return decide(desired, observe(paths, desired))


def apply(paths: CniPaths, planned: Plan) -> Applied:
    for action in planned.actions:
        if action.kind in ("create", "update"):
            network_store.write(paths, BridgeNetwork(**action.details["network"]))
        elif action.kind == "delete":
            _refuse_in_use(action.target, chain.attached(paths, action.target), "removing")
            network_store.delete(paths, action.target)
            bridge_network.remove_bridge(paths, planned.before["bridge"])
    return Applied(planned, after=planned.after)
