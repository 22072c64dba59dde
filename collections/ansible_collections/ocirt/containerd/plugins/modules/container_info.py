#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: read-only facts about containerd containers."""

from __future__ import annotations

DOCUMENTATION = r"""
module: container_info
short_description: Report containerd containers, their state, resource use and logs
version_added: 0.1.0
description:
  - Without O(name), lists every container of the namespace (two API calls, however many
    there are) with status, pid, exit code, image, command and whether ocirt manages it.
  - With O(name), inspects those containers, adding the state (including an OOM kill), start and exit
    times, image and digest, the configuration ocirt stored, a summary of the runtime spec.
  - Optionally adds resource use (CPU time, memory usage and limit, pids, block I/O) and the
    last lines of each container's log.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.info
options:
  name:
    description:
      - Containers to inspect. Names that do not exist are left out of the result.
    type: list
    elements: str
  stats:
    description:
      - Add C(stats) (from containerd's task metrics, cgroup v1 or v2) to running containers.
    type: bool
    default: false
  log_lines:
    description:
      - Add the last N lines of each container's log as C(log_tail) (containers ocirt created).
    type: int
    default: 0
notes:
  - O(registry_config_path) is accepted, for C(module_defaults) of the action group, and
    ignored, as this module never pulls.
"""

EXAMPLES = r"""
- name: Everything in the default namespace
  ocirt.containerd.container_info:
  register: all_containers

- name: One container with its resource use and the end of its log
  ocirt.containerd.container_info:
    name: [web]
    stats: true
    log_lines: 20
  register: web
"""

RETURN = r"""
containers:
  description: One entry per container, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Container id.
      type: str
    status:
      description: V(created), V(running), V(paused), V(stopped) or V(unknown).
      type: str
    pid:
      description: Process id of the container's init process while it runs.
      type: int
    exit_code:
      description: Exit code of the last run.
      type: int
    oom_killed:
      description: Whether the last run ended in an out-of-memory kill.
      type: bool
    started_at:
      description: When the current (or last) run started.
      type: str
    restart_count:
      description:
        - How often containerd's restart monitor restarted the container since it was last
          started (by ocirt or the module); reset by a start or restart, as in docker.
        - containerd 1.6 does not count restarts; there it is V(0) while the process is the
          one ocirt started and null once the monitor has replaced it.
      type: int
    image:
      description: Image name.
      type: str
    managed:
      description: Whether ocirt created (and so manages) the container.
      type: bool
    stats:
      description: Resource use, when O(stats=true) and the container runs.
      type: dict
    log_tail:
      description: The last O(log_lines) lines of the log.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import run
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
    inspect_container,
    list_containers,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.labels import LOG_PATH
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.logs import read_log
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    ContainerNotFound,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.stats import stats_many


def containers(conn, names):
    """The named containers inspected (those that exist), else every container's row."""
    if not names:
        return list_containers(conn)
    found = []
    for name in sorted(set(names)):
        try:
            found.append(inspect_container(conn, name))
        except ContainerNotFound:
            continue
    return found


def add_stats(conn, rows) -> None:
    running = [c["id"] for c in rows if c["status"] == "running"]
    by_id = stats_many(conn, running) if running else {}
    for c in rows:
        c["stats"] = by_id.get(c["id"])


def add_log_tails(rows, lines: int) -> None:
    for c in rows:
        path = c.get("log_path") or (c.get("labels") or {}).get(LOG_PATH)
        if path:
            data = read_log(path, tail=lines)["data"]
            c["log_tail"] = data.decode("utf-8", "replace").splitlines()


def report(conn, p):
    conn = conn.with_namespace(p["namespace"])
    rows = containers(conn, p["name"])
    if p["stats"]:
        add_stats(conn, rows)
    if p["log_lines"] > 0:
        add_log_tails(rows, p["log_lines"])
    return {"changed": False, "containers": rows}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            name={"type": "list", "elements": "str"},
            stats={"type": "bool", "default": False},
            log_lines={"type": "int", "default": 0},
        ),
        supports_check_mode=True,
    )
    run(module, lambda conn: report(conn, module.params))


if __name__ == "__main__":
    main()
