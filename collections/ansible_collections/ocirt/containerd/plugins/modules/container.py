#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: one containerd container in a declared state."""

from __future__ import annotations

DOCUMENTATION = r"""
module: container
short_description: Run containerd containers declaratively
version_added: 0.1.0
description:
  - Creates, starts, stops, recreates and removes a container through containerd's gRPC API
    (no C(ctr) or C(nerdctl)), with stdout and stderr kept in a log file and restart
    policies carried out by containerd's own restart monitor.
  - The configuration is canonicalised and stored on the container; a run compares it, and
    the digest of the image, with what is declared, and recreates only on a real difference
    (listed in the actions). A second run of the same play changes nothing and restarts
    nothing.
  - A container ocirt did not create (for example by C(ctr run)) is reported and left alone
    unless O(adopt=true).
extends_documentation_fragment:
  - ocirt.containerd.module_kind.state
  - ocirt.containerd.registry_access
  - ocirt.containerd.container_options
options:
  name:
    description:
      - The container's id.
    type: str
    required: true
  state:
    description:
      - V(started) creates the container if needed and makes sure it runs.
      - V(present) creates it if needed (not started) and keeps a running one running.
      - V(stopped) creates it if needed and makes sure it does not run.
      - V(absent) stops and removes it with its root file system snapshot.
    type: str
    choices: [started, present, stopped, absent]
    default: started
  recreate:
    description:
      - Recreate the container even if nothing differs.
    type: bool
    default: false
  restart:
    description:
      - Restart a running container (when it is not recreated anyway).
    type: bool
    default: false
  adopt:
    description:
      - Let the module recreate or remove a container that ocirt did not create.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: A web server that containerd restarts if it dies
  ocirt.containerd.container:
    name: web
    image: registry.example:5000/team/web:1.4
    command: [httpd, -f, -p, "8080"]
    network_mode: host
    env:
      TZ: UTC
    mounts:
      - /srv/www:/var/www:ro
      - type: volume
        source: web-cache
        target: /var/cache/web
    memory: 256m
    cpus: 0.5
    restart_policy: always

- name: Stop it
  ocirt.containerd.container:
    name: web
    image: registry.example:5000/team/web:1.4
    state: stopped

- name: Remove it
  ocirt.containerd.container:
    name: web
    state: absent
"""

RETURN = r"""
container:
  description:
    - The container after the run, as M(ocirt.containerd.container_info) reports it; in check mode the predicted
      status and configuration. Null when absent.
  returned: success
  type: dict
actions:
  description: What was done (or would be done in check mode), and why.
  returned: success
  type: list
  elements: dict
  sample: [{"action": "remove", "target": "web", "reason": "configuration differs: env, memory"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.container_params import (
    CONTAINER_OPTIONS,
    PULL_OPTION,
    container_options,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
    run_with_connection,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    REGISTRY_ACCESS_OPTIONS,
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
    inspect_container,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.container import (
    ContainerApplyFailed,
    DesiredContainer,
    apply_container,
    plan_container,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            name={"type": "str", "required": True},
            state={
                "type": "str",
                "choices": ["started", "present", "stopped", "absent"],
                "default": "started",
            },
            recreate={"type": "bool", "default": False},
            restart={"type": "bool", "default": False},
            adopt={"type": "bool", "default": False},
            **CONTAINER_OPTIONS,
            **PULL_OPTION,
            **REGISTRY_ACCESS_OPTIONS,
        ),
        required_if=[
            ("state", "started", ["image"]),
            ("state", "present", ["image"]),
            ("state", "stopped", ["image"]),
        ],
        supports_check_mode=True,
    )
    p = module.params

    def work(conn):
        conn = conn.with_namespace(p["namespace"])
        desired = DesiredContainer(
            name=p["name"],
            options=container_options(p) if p["state"] != "absent" else None,
            state=p["state"],
            recreate=p["recreate"],
            restart=p["restart"],
            pull=p["pull"],
            adopt=p["adopt"],
            access=registry_access(p),
        )
        plan = plan_container(conn, desired)
        result = {"changed": plan.changed, "actions": plan.summaries()}
        if plan.changed and not module.check_mode:
            try:
                done = apply_container(conn, desired, plan)
            except ContainerApplyFailed as exc:
                module.fail_json(msg=str(exc), changed=exc.changed, actions=result["actions"])
            for warning in (done.get("create") or {}).get("warnings") or []:
                module.warn(warning)  # e.g. a restart policy this containerd does not know
        if p["state"] == "absent":
            result["container"] = None
        elif plan.changed and module.check_mode:
            result["container"] = plan.after  # predicted status and configuration
        else:
            result["container"] = inspect_container(conn, p["name"])
        if module._diff:
            result["diff"] = plan.diff()
        return result

    run_with_connection(module, work)


if __name__ == "__main__":
    main()
