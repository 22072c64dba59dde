#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: run a command in a running containerd container."""

from __future__ import annotations

DOCUMENTATION = r"""
module: container_exec
short_description: Run a command in a running containerd container
version_added: 0.1.0
description:
  - Starts a process in a running container through containerd's task API (like
    C(ctr task exec) or C(docker exec)) and returns its exit code, stdout and stderr.
  - Running a command is not idempotent by nature, so the result always reports a change;
    use C(changed_when) to say otherwise.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.grpc
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
  idempotent:
    support: none
options:
  name:
    description:
      - The container to run the command in; it must be running.
    type: str
    required: true
  command:
    description:
      - The command and its arguments.
    type: list
    elements: str
    required: true
  env:
    description:
      - Environment variables added to the container's.
    type: dict
  user:
    description:
      - User to run as (name or uid), resolved against the container's C(/etc/passwd).
    type: str
  working_dir:
    description:
      - Working directory of the command.
    type: str
  command_timeout:
    description:
      - Seconds the command may run; after that it is killed and the module fails.
    type: float
    default: 60
  strip_empty_ends:
    description:
      - Remove trailing newlines from stdout and stderr.
    type: bool
    default: true
notes:
  - O(registry_config_path) is accepted, for C(module_defaults) of the action group, and
    ignored, as this module never pulls.
"""

EXAMPLES = r"""
- name: Ask a database container whether it is ready
  ocirt.containerd.container_exec:
    name: db
    command: [pg_isready, -U, postgres]
  register: ready
  changed_when: false
  failed_when: ready.rc not in [0, 1]
"""

RETURN = r"""
rc:
  description: Exit code of the command.
  returned: success
  type: int
stdout:
  description: What the command wrote to stdout (UTF-8, invalid bytes replaced).
  returned: success
  type: str
stderr:
  description: What the command wrote to stderr.
  returned: success
  type: str
stdout_lines:
  description: RV(stdout) split into lines.
  returned: success
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import run
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import exec_command


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            name={"type": "str", "required": True},
            command={"type": "list", "elements": "str", "required": True},
            env={"type": "dict"},
            user={"type": "str"},
            working_dir={"type": "str"},
            command_timeout={"type": "float", "default": 60},
            strip_empty_ends={"type": "bool", "default": True},
        ),
        supports_check_mode=False,
    )
    p = module.params

    def work(conn):
        done = exec_command(
            conn.with_namespace(p["namespace"]),
            p["name"],
            p["command"],
            env={k: str(v) for k, v in (p["env"] or {}).items()},
            user=p["user"],
            workdir=p["working_dir"],
            timeout=p["command_timeout"],
        )
        out = {k: done[k].decode("utf-8", "replace") for k in ("stdout", "stderr")}
        if p["strip_empty_ends"]:
            out = {k: v.rstrip("\r\n") for k, v in out.items()}
        return {
            "changed": True,
            "rc": done["rc"],
            **out,
            "stdout_lines": out["stdout"].splitlines(),
            "stderr_lines": out["stderr"].splitlines(),
        }

    run(module, work)


if __name__ == "__main__":
    main()
