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
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    REGISTRY_ACCESS_OPTIONS,
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    plan_result,
    run,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
    inspect_container,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import container
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.container import (
    DesiredContainer,
)


def desired_container(p) -> DesiredContainer:
    return DesiredContainer(
        name=p["name"],
        options=container_options(p) if p["state"] != "absent" else None,
        state=p["state"],
        recreate=p["recreate"],
        restart=p["restart"],
        pull=p["pull"],
        adopt=p["adopt"],
        access=registry_access(p),
    )


def report(module, conn, plan, applied):
    """``container``: as container_info reports it; predicted in check mode, null when
    absent. Warnings of the create (a restart policy this containerd does not know)."""
    created = applied.details.get("create") if applied else None
    for warning in (created or {}).get("warnings", []):
        module.warn(warning)
    if module.params["state"] == "absent":
        return {"container": None}
    if plan.changed and module.check_mode:
        return {"container": plan.after}
    return {"container": inspect_container(conn, module.params["name"])}


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

    def work(conn):
        conn = conn.with_namespace(module.params["namespace"])
        planned = container.plan(conn, desired_container(module.params))
        applied = None if module.check_mode else container.apply(conn, planned)
        return plan_result(module, planned, applied, lambda p, a: report(module, conn, p, a))

    run(module, work)


if __name__ == "__main__":
    main()
