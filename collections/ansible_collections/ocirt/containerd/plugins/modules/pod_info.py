#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: the CRI pods of a node, with their containers (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pod_info
short_description: Report the CRI pods of a node and their containers
version_added: 0.2.0
description:
  - Lists the pod sandboxes the Kubernetes CRI (served by containerd on its socket) has,
    whether ocirt made them or the kubelet did, with their state, IP addresses, labels and
    containers (state, exit code, image, log path); on request each running container's
    resource usage and the last lines of its log, parsed from the CRI log format.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.info
options:
  name:
    description:
      - Only pods of this name (default every pod).
    type: str
  pod_namespace:
    description:
      - Only pods of this pod namespace (CRI metadata.namespace).
    type: str
  stats:
    description:
      - Add each running container's resource usage (C(cpu_total_ns),
        C(memory_working_set_bytes), ...). C(cpu_nano_cores) is 0 at the first look at a
        container, as containerd computes it from its previous sample.
    type: bool
    default: false
  log_lines:
    description:
      - Add the last lines of each container's log (0 for none).
    type: int
    default: 0
notes:
  - O(namespace) is accepted for C(module_defaults) of the action group and not used, as
    the CRI always works in containerd namespace C(k8s.io).
seealso:
  - module: ocirt.containerd.pod
"""

EXAMPLES = r"""
- name: The pods of this node
  ocirt.containerd.pod_info:
  register: found

- name: One pod, with usage and the end of its logs
  ocirt.containerd.pod_info:
    name: web
    pod_namespace: default
    stats: true
    log_lines: 20
  register: web
"""

RETURN = r"""
pods:
  description: The pods, newest first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The sandbox id.
      type: str
    name:
      description: CRI metadata.name.
      type: str
    pod_namespace:
      description: CRI metadata.namespace.
      type: str
    state:
      description: V(ready) or V(notready).
      type: str
    ip:
      description: The pod's IP address (empty on the host network).
      type: str
    additional_ips:
      description: Further IP addresses of the pod.
      type: list
      elements: str
    network:
      description: V(pod) or V(host).
      type: str
    managed:
      description: Whether ocirt made the pod (it carries ocirt's config hash).
      type: bool
    containers:
      description:
        - Each container with C(id), C(name), C(state) (V(created), V(running),
          V(exited), V(unknown)), C(exit_code), C(reason), C(image), C(image_ref),
          C(started_at), C(finished_at), C(log_path), and C(stats) and C(log_tail) when
          asked.
      type: list
      elements: dict
  sample: [{"id": "3f1c...", "name": "web", "pod_namespace": "default", "state": "ready",
            "ip": "", "network": "host", "managed": true,
            "containers": [{"name": "httpd", "state": "running", "exit_code": 0}]}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import run
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.options import (
    POD_INFO_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.report import list_pods


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(POD_INFO_OPTIONS)), supports_check_mode=True
    )
    p = module.params
    run(
        module,
        lambda conn: {
            "changed": False,
            "pods": list_pods(
                conn,
                name=p["name"],
                pod_namespace=p["pod_namespace"],
                with_stats=p["stats"],
                log_lines=p["log_lines"],
            ),
        },
    )


if __name__ == "__main__":
    main()
