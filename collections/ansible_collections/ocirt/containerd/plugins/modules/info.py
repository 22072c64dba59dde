#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: read-only facts about a running containerd."""

from __future__ import annotations

DOCUMENTATION = r"""
module: info
short_description: Report what a running containerd is and serves
version_added: 0.1.0
description:
  - Talks to containerd's gRPC API on its unix socket, without C(ctr).
  - Reports the daemon's version and revision, its server UUID, every plugin with its status
    and the reason of each failed one, the snapshotters, whether the Kubernetes CRI is served
    and in which API versions, and each namespace with its image and container counts.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.info
options: {}
notes:
  - O(namespace) and O(registry_config_path) are accepted, for C(module_defaults) of the action
    group, and ignored, as this module reports every namespace.
"""

EXAMPLES = r"""
- name: Ask the local containerd what it is
  ocirt.containerd.info:
  register: containerd

- name: Fail early on a daemon without CRI
  ansible.builtin.assert:
    that: containerd.cri.served
    fail_msg: "containerd {{ containerd.version }} does not serve the CRI: {{ containerd.cri.error }}"

- name: Query a daemon on another socket
  ocirt.containerd.info:
    address: /run/k3s/containerd/containerd.sock
"""

RETURN = r"""
address:
  description: The socket that was asked.
  returned: success
  type: str
  sample: /run/containerd/containerd.sock
version:
  description: containerd's version as the daemon reports it.
  returned: success
  type: str
  sample: 1.6.20~ds1
revision:
  description: The daemon's build revision.
  returned: success
  type: str
  sample: 1.6.20~ds1-1+deb12u3
uuid:
  description: The daemon's server UUID (stable across restarts of the same root).
  returned: success
  type: str
pid:
  description: The daemon's process id, where the daemon reports it (containerd 1.7 and later).
  returned: success
  type: int
deprecated_features:
  description: Deprecated features in use, as containerd 2.x reports them (id and message).
  returned: success
  type: list
  elements: dict
plugins:
  description: Every plugin the daemon registered.
  returned: success
  type: list
  elements: dict
  contains:
    type:
      description: Plugin type.
      type: str
      sample: io.containerd.snapshotter.v1
    id:
      description: Plugin id.
      type: str
      sample: overlayfs
    status:
      description: C(ok), C(skip) (not applicable on this host) or C(error), as C(ctr plugins ls) prints it.
      type: str
    error:
      description: Why the plugin failed to initialise, or null.
      type: str
    platforms:
      description: Platforms the plugin supports, as os/architecture[/variant].
      type: list
      elements: str
    exports:
      description: Values the plugin exports, such as a snapshotter's root.
      type: dict
    capabilities:
      description: Capabilities the plugin declares.
      type: list
      elements: str
    requires:
      description: Plugin types this one depends on.
      type: list
      elements: str
failed_plugins:
  description: The plugins whose status is C(error), same shape as RV(plugins).
  returned: success
  type: list
  elements: dict
snapshotters:
  description: Snapshotter plugins with their status, root directory and error.
  returned: success
  type: list
  elements: dict
  sample: [{"id": "overlayfs", "status": "ok", "root": "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs", "error": null}]
cri:
  description: Whether the Kubernetes CRI is served on the socket.
  returned: success
  type: dict
  contains:
    served:
      description: True when a CRI Version call answered.
      type: bool
    api_versions:
      description: The CRI API versions that answered (v1, and v1alpha2 on containerd 1.x).
      type: list
      elements: str
    plugin_status:
      description: Status of the C(io.containerd.grpc.v1/cri) plugin, or C(absent).
      type: str
      sample: ok
    error:
      description: Why the CRI plugin failed, or null.
      type: str
    runtime_name:
      description: Runtime name reported by the CRI.
      type: str
      sample: containerd
    runtime_version:
      description: Runtime version reported by the CRI.
      type: str
      sample: v2.1.4
namespaces:
  description: Each namespace with its labels and how many images and containers it holds.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "default", "labels": {}, "images": 2, "containers": 1}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import run
from ansible_collections.ocirt.containerd.plugins.module_utils.report.daemon_info import (
    gather_info,
)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run(module, lambda conn: dict(gather_info(conn), changed=False))


if __name__ == "__main__":
    main()
