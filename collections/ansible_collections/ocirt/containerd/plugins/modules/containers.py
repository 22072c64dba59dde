#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a whole set of containerd containers in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: containers
short_description: Declare a set of containerd containers in one task
version_added: 0.1.0
description:
  - Does for a list of containers what M(ocirt.containerd.container) does for one, in a
    single module run (containerd's containers and tasks are listed once, each image is
    planned once), so a host with dozens of containers converges in about the time of one
    task.
  - With O(purge=true), containers that ocirt created in the same O(group) and that are no
    longer listed are removed.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.state
  - ocirt.containerd.registry_access
options:
  containers:
    description:
      - The containers. Each item takes C(name) (required), C(state) (V(started) by
        default), C(recreate), C(restart), C(adopt) and the container options of
        M(ocirt.containerd.container) (C(image), C(command), C(env), C(mounts),
        C(restart_policy), C(memory), ...).
    type: list
    elements: dict
    required: true
  group:
    description:
      - A name for this set; every container gets the label C(io.ocirt/group=<group>).
    type: str
    default: default
  purge:
    description:
      - Remove containers of O(group) that ocirt created and that are not listed.
    type: bool
    default: false
  pull:
    description:
      - When to pull images, as in M(ocirt.containerd.image).
    type: str
    choices: [missing, always, never]
    default: missing
"""

EXAMPLES = r"""
- name: Everything this host runs
  ocirt.containerd.containers:
    group: app
    purge: true
    containers:
      - name: web
        image: registry.example:5000/team/web:1.4
        network_mode: host
        restart_policy: always
      - name: worker
        image: registry.example:5000/team/worker:1.4
        env:
          QUEUE: default
        memory: 512m
"""

RETURN = r"""
containers:
  description: Per container, in the order given (then the purged ones), what was done.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Container id.
      type: str
    changed:
      description: Whether anything was (or would be) done to it.
      type: bool
    status:
      description: Its status after the run (predicted in check mode); V(absent) once removed.
      type: str
    actions:
      description: What was done and why.
      type: list
      elements: dict
actions:
  description:
    - Everything done (or to be done in check mode) for the set, and why; an image shared by
      several containers is pulled, and listed, once.
  returned: success
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.container_params import (
    PULL_OPTION,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    REGISTRY_ACCESS_OPTIONS,
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import containers


def desired_containers(p) -> containers.DesiredContainers:
    access = registry_access(p)
    return containers.DesiredContainers(
        [containers.from_item(item, p["group"], p["pull"], access) for item in p["containers"]],
        purge_group=p["group"] if p["purge"] else None,
    )


def report(module, plan, applied):
    """``containers``: per container, what was (or would be) done; warnings of the creates
    (a restart policy this containerd does not know)."""
    done = applied.details["containers"] if applied else {}
    for name, steps in done.items():
        for warning in (steps.get("create") or {}).get("warnings", []):
            module.warn(f"{name}: {warning}")
    return {"containers": [containers.outcome(child) for child in plan.children]}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            containers={"type": "list", "elements": "dict", "required": True},
            group={"type": "str", "default": "default"},
            purge={"type": "bool", "default": False},
            **PULL_OPTION,
            **REGISTRY_ACCESS_OPTIONS,
        ),
        supports_check_mode=True,
    )

    def namespace(conn):
        return conn.with_namespace(module.params["namespace"])

    run_reconciler(
        module,
        lambda conn: containers.plan(namespace(conn), desired_containers(module.params)),
        lambda conn, plan: containers.apply(namespace(conn), plan),
        lambda plan, applied: report(module, plan, applied),
    )


if __name__ == "__main__":
    main()
