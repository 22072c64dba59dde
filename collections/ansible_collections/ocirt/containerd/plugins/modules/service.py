#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: containerd started, stopped or restarted, under systemd or detached,
restarting only when asked and waiting until it serves."""

from __future__ import annotations

DOCUMENTATION = r"""
module: service
short_description: Run containerd as a service (systemd, or detached without systemd)
version_added: 0.1.0
description:
  - Where systemd is PID 1 (C(/run/systemd/system) exists), writes a unit like upstream's
    C(containerd.service) (C(Delegate=yes), C(KillMode=process), C(LimitNOFILE=infinity),
    C(OOMScoreAdjust=-999), C(Restart=always), C(ExecStartPre=-/sbin/modprobe overlay)) to
    O(unit_path), an optional proxy drop-in beside it, reloads systemd when they changed,
    enables and starts the unit.
  - Elsewhere (containers, CI) runs containerd detached instead (new session, stdin
    C(/dev/null), output appended to O(log_file)) and records its pid in O(pid_file);
    a running containerd started with the same O(config_path) is recognised even without
    a pid file. Stop and restart signal only the daemon's pid (SIGTERM, SIGKILL after
    O(stop_timeout)).
  - Restarts happen only with O(state=restarted) or when O(restart_if) holds a true value,
    such as the C(restart_required) results of M(ocirt.containerd.install) and
    M(ocirt.containerd.config). Such a restart is skipped when containerd already started
    after the configuration file and the binary last changed.
  - After a start or restart waits until containerd answers a Version call on O(address)
    (at most O(wait_timeout) seconds) and fails with the daemon's last log lines if it
    does not.
  - Running containers survive restarts; their shims keep running.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.grpc
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    details:
      - O(state=restarted) restarts on every run.
options:
  state:
    description: What containerd should be doing.
    type: str
    choices: [started, stopped, restarted]
    default: started
  manager:
    description:
      - V(auto) uses systemd where it is PID 1, else the detached fallback.
    type: str
    choices: [auto, systemd, detached]
    default: auto
  enabled:
    description: Start at boot (systemd only).
    type: bool
    default: true
  restart_if:
    description:
      - Restart a running containerd when any value is true (see the description).
    type: list
    elements: bool
    default: []
  binary:
    description: The containerd executable. Default C(containerd) on the system PATH.
    type: path
  config_path:
    description: The configuration file containerd is started with (C(--config)).
    type: path
    default: /etc/containerd/config.toml
  unit_path:
    description: Where the systemd unit is written.
    type: path
    default: /etc/systemd/system/containerd.service
  manage_unit:
    description: Write the unit and the proxy drop-in (systemd only).
    type: bool
    default: true
  proxy:
    description:
      - Proxy environment for containerd (pulls by the CRI). With systemd written to
        C(<unit_path>.d/http-proxy.conf) (mode C(0600) when a URL holds credentials).
    type: dict
    default: {}
    suboptions:
      http_proxy:
        description: C(HTTP_PROXY).
        type: str
      https_proxy:
        description: C(HTTPS_PROXY).
        type: str
      no_proxy:
        description: C(NO_PROXY).
        type: str
  pid_file:
    description: Pid file of the detached fallback.
    type: path
    default: /run/containerd/containerd.pid
  log_file:
    description: Log file of the detached fallback.
    type: path
    default: /var/log/containerd.log
  wait_timeout:
    description: Seconds to wait for containerd to answer after a start or restart.
    type: float
    default: 60
  stop_timeout:
    description: Seconds between SIGTERM and SIGKILL when stopping (detached fallback).
    type: float
    default: 30
notes:
  - O(address) is passed to containerd as C(--address) only when it is not the default;
    otherwise the configuration file decides the socket.
  - O(timeout), O(namespace) and O(registry_config_path) are accepted, for C(module_defaults)
    of the action group, and ignored, as waits are set by O(wait_timeout) and O(stop_timeout).
"""

EXAMPLES = r"""
- name: containerd running
  ocirt.containerd.service:

- name: Restart only when the binaries or the configuration changed
  ocirt.containerd.service:
    restart_if:
      - "{{ containerd_install.restart_required }}"
      - "{{ containerd_config.restart_required }}"
"""

RETURN = r"""
manager:
  description: C(systemd) or C(detached).
  returned: always
  type: str
pid:
  description: The daemon's pid afterwards (null when stopped).
  returned: always
  type: int
pid_before:
  description: The daemon's pid before.
  returned: always
  type: int
started:
  description: Whether containerd was (or would be) started.
  returned: always
  type: bool
restarted:
  description: Whether containerd was (or would be) restarted.
  returned: always
  type: bool
unit_changed:
  description: Whether the unit or the proxy drop-in changed.
  returned: always
  type: bool
binary:
  description: The containerd executable.
  returned: always
  type: str
binary_replaced_since_start:
  description: Whether the running daemon's binary was replaced on disk after it started.
  returned: always
  type: bool
version:
  description: The version the daemon answered, null when stopped or not answering.
  returned: always
  type: str
actions:
  description: What was done (or would be in check mode), and why.
  returned: always
  type: list
  elements: dict
notes:
  description: Decisions worth knowing, such as a restart that was not needed.
  returned: always
  type: list
  elements: str
"""

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import service
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import Applied
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.service import (
    SERVICE_OPTIONS,
    DesiredService,
    ServicePlan,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    GRPC_IMPORT_ERROR,
)

UNIT_FILE_ACTIONS = ("write_unit", "write_dropin", "remove_dropin")


def report(
    desired: DesiredService, plan: ServicePlan, applied: Optional[Applied]
) -> Dict[str, Any]:
    """The module's own result keys (changed, actions and diff come from the runner)."""
    kinds = [a.kind for a in plan.actions]
    details = applied.details if applied is not None else {"pid": plan.pid_before}
    return {
        "manager": plan.manager,
        "state": desired.state,
        "pid_before": plan.pid_before,
        "pid": details["pid"],
        "started": "start" in kinds,
        "restarted": "restart" in kinds,
        "unit_changed": any(k in kinds for k in UNIT_FILE_ACTIONS),
        "binary": plan.binary,
        "binary_replaced_since_start": plan.binary_replaced,
        "version": (details.get("version") or {}).get("version"),
        "notes": list(plan.notes),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(SERVICE_OPTIONS)), supports_check_mode=True
    )
    if GRPC_IMPORT_ERROR is not None:  # readiness is a Version call over gRPC
        module.fail_json(msg=missing_required_lib("grpcio"), exception=GRPC_IMPORT_ERROR)
    desired = DesiredService.from_options(module.params, module.params["address"])
    run_reconciler(
        module,
        lambda _conn: service.plan(desired),
        lambda _conn, plan: service.apply(desired, plan),
        lambda plan, applied: report(desired, plan, applied),
        connect=False,
    )


if __name__ == "__main__":
    main()
