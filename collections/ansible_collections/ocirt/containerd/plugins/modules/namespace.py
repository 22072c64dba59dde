#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a containerd namespace present with its labels, or absent."""

from __future__ import annotations

DOCUMENTATION = r"""
module: namespace
short_description: Manage containerd namespaces and their labels
version_added: 0.1.0
description:
  - Creates, relabels and deletes containerd namespaces through containerd's gRPC API.
  - A namespace that still holds images, containers, content or snapshots is never deleted;
    the error names what it holds.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.state
options:
  name:
    description:
      - Name of the namespace, such as C(k8s.io) or C(builds).
      - Letters and digits separated by single C(.), C(_) or C(-), at most 76 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates the namespace if needed and sets O(labels).
      - V(absent) deletes it; containerd only deletes empty namespaces.
    type: str
    choices: [present, absent]
    default: present
  labels:
    description:
      - Labels to set on the namespace. Labels not listed are kept unless O(purge_labels=true).
      - containerd reads C(containerd.io/defaults/snapshotter) and
        C(containerd.io/defaults/runtime) labels as the namespace's defaults.
    type: dict
    default: {}
  purge_labels:
    description:
      - Remove labels that are not listed in O(labels).
    type: bool
    default: false
notes:
  - O(namespace) and O(registry_config_path) are accepted, for C(module_defaults) of the action
    group, and ignored, as the namespace managed is O(name).
"""

EXAMPLES = r"""
- name: A namespace for build jobs, with overlayfs as its default snapshotter
  ocirt.containerd.namespace:
    name: builds
    labels:
      containerd.io/defaults/snapshotter: overlayfs

- name: Remove it (fails, naming its images and containers, if it is not empty)
  ocirt.containerd.namespace:
    name: builds
    state: absent
"""

RETURN = r"""
namespace:
  description: The namespace after the run (as it would be, in check mode); null when absent.
  returned: success
  type: dict
  sample: {"name": "builds", "labels": {"containerd.io/defaults/snapshotter": "overlayfs"}}
actions:
  description: What was done (or would be done in check mode), and why.
  returned: success
  type: list
  elements: dict
  sample: [{"action": "create", "target": "builds", "reason": "namespace does not exist"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import namespace
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.namespace import (
    NAMESPACE_OPTIONS,
    DesiredNamespace,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(NAMESPACE_OPTIONS)), supports_check_mode=True
    )
    p = module.params
    desired = DesiredNamespace(
        name=p["name"],
        state=p["state"],
        labels={k: str(v) for k, v in p["labels"].items()},
        purge_labels=p["purge_labels"],
    )
    run_reconciler(
        module,
        lambda conn: namespace.plan(conn, desired),
        namespace.apply,
        lambda plan, applied: {"namespace": applied.after if applied else plan.after},
    )


if __name__ == "__main__":
    main()
