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
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.container_params import (
    PULL_OPTION,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
    run_with_connection,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    REGISTRY_ACCESS_OPTIONS,
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.container import (
    ContainerApplyFailed,
    DesiredContainer,
    apply_container,
    plan_container_set,
)


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
    p = module.params

    def work(conn):
        conn = conn.with_namespace(p["namespace"])
        access = registry_access(p)
        desired = [
            DesiredContainer.from_item(item, p["group"], p["pull"], access)
            for item in p["containers"]
        ]
        planned = plan_container_set(conn, desired, p["group"] if p["purge"] else None)
        report, before, after = [], {}, {}
        for wanted, plan in planned:
            if plan.changed and not module.check_mode:
                try:
                    done = apply_container(conn, wanted, plan)
                except ContainerApplyFailed as exc:
                    # the containers before this one were converged: say so
                    failed = {"name": wanted.name, "changed": exc.changed, "failed": True}
                    module.fail_json(
                        msg=str(exc),
                        changed=exc.changed or any(r["changed"] for r in report),
                        containers=[*report, {**failed, "actions": plan.summaries()}],
                    )
                for warning in (done.get("create") or {}).get("warnings") or []:
                    module.warn(f"{wanted.name}: {warning}")
            status = (
                (plan.after or {}).get("status", "absent") if wanted.state != "absent" else "absent"
            )
            report.append(
                {
                    "name": wanted.name,
                    "changed": plan.changed,
                    "status": status,
                    "actions": plan.summaries(),
                }
            )
            if plan.changed:
                before[wanted.name] = plan.before
                after[wanted.name] = plan.after
        result = {"changed": any(r["changed"] for r in report), "containers": report}
        if module._diff:
            result["diff"] = {"before": before, "after": after}
        return result

    run_with_connection(module, work)


if __name__ == "__main__":
    main()
