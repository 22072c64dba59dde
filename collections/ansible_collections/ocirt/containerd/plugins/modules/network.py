#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a bridge network for plain containers (a CNI conflist of ours)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: network
short_description: Manage bridge networks for containers (CNI conflists)
version_added: 0.2.0
description:
  - Writes a CNI network configuration list for a bridge network into C(/etc/ocirt/networks)
    (not C(/etc/cni/net.d), which containerd's CRI plugin reads for pods). Containers
    join it with O(ocirt.containerd.container#module:networks) and publish ports on it with
    O(ocirt.containerd.container#module:published_ports).
  - The list is C(bridge) (with C(host-local) addresses and the host as gateway), C(portmap),
    C(firewall) and C(tuning), run by ocirt's own CNI client with Debian's
    containernetworking-plugins from C(/usr/lib/cni). Every container also gets C(loopback).
  - The network named C(bridge) is the default network (bridge C(ocirt0), C(10.7.0.0/24)); it
    is created on first use when a container publishes ports without naming a network.
  - A network with containers attached is neither changed nor removed; the error names them.
  - Options not given keep the values the network has.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.node_state
requirements:
  - containernetworking-plugins (Debian package) and iptables
options:
  name:
    description:
      - Name of the network, as containers name it in
        O(ocirt.containerd.container#module:networks).
      - Letters, digits, C(_), C(.) and C(-), at most 63 characters.
    type: str
    required: true
  state:
    description:
      - V(present) writes the network's conflist; V(absent) removes it and its bridge.
    type: str
    choices: [present, absent]
    default: present
  bridge:
    description:
      - Name of the Linux bridge; defaults to C(br-NAME) (cut to 15 characters).
    type: str
  subnet:
    description:
      - IPv4 subnet in CIDR form; defaults to the first free C(10.7.N.0/24).
      - Must not overlap another network's subnet.
    type: str
  gateway:
    description:
      - Address of the bridge on the host; defaults to the first address of O(subnet).
    type: str
  ip_masquerade:
    description:
      - Masquerade traffic that leaves the subnet (outbound access for containers).
    type: bool
    default: true
  isolated:
    description:
      - Refuse traffic from other networks' bridges (the firewall plugin's
        C(ingressPolicy=same-bridge)).
    type: bool
    default: true
  mtu:
    description:
      - MTU of the bridge and the containers' interfaces.
    type: int
notes:
  - O(address), O(namespace) and O(registry_config_path) are accepted, for C(module_defaults)
    of the action group, and ignored; networks belong to the machine.
  - Set the environment variable C(OCIRT_CNI_ROOT) to keep all network state (conflists,
    CNI result cache, address leases, pinned namespaces) under one directory instead.
"""

EXAMPLES = r"""
- name: A network for the web tier
  ocirt.containerd.network:
    name: web
    subnet: 10.7.20.0/24

- name: Its MTU changed (refused while containers use it)
  ocirt.containerd.network:
    name: web
    mtu: 1400

- name: Removed (refused, naming them, while containers use it)
  ocirt.containerd.network:
    name: web
    state: absent
"""

RETURN = r"""
network:
  description: The network after the run (as it would be, in check mode); null when absent.
  returned: success
  type: dict
  sample: {"name": "web", "bridge": "br-web", "subnet": "10.7.20.0/24", "gateway": "10.7.20.1",
           "ip_masquerade": true, "isolated": true, "mtu": null}
actions:
  description: What was done (or would be done in check mode), and why.
  returned: success
  type: list
  elements: dict
  sample: [{"action": "create", "target": "web", "reason": "network does not exist"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.options import NETWORK_OPTIONS
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.paths import CniPaths
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import network


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(NETWORK_OPTIONS)), supports_check_mode=True
    )
    p = module.params
    desired = network.DesiredNetwork(**{name: p[name] for name in NETWORK_OPTIONS.names()})
    paths = CniPaths.from_environment()
    run_reconciler(
        module,
        lambda _conn: network.plan(paths, desired),
        lambda _conn, planned: network.apply(paths, planned),
        lambda plan, applied: {"network": applied.after if applied else plan.after},
        connect=False,
    )


if __name__ == "__main__":
    main()
