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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
    jsonable,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_CONFIG_FILE,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.service import (
    DesiredService,
    apply_service,
    plan_service,
    service_result,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    GRPC_IMPORT_ERROR,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            state={
                "type": "str",
                "choices": ["started", "stopped", "restarted"],
                "default": "started",
            },
            manager={"type": "str", "choices": ["auto", "systemd", "detached"], "default": "auto"},
            enabled={"type": "bool", "default": True},
            restart_if={"type": "list", "elements": "bool", "default": []},
            binary={"type": "path"},
            config_path={"type": "path", "default": DEFAULT_CONFIG_FILE},
            unit_path={"type": "path", "default": "/etc/systemd/system/containerd.service"},
            manage_unit={"type": "bool", "default": True},
            proxy={
                "type": "dict",
                "default": {},
                "options": {
                    "http_proxy": {"type": "str", "no_log": True},
                    "https_proxy": {"type": "str", "no_log": True},
                    "no_proxy": {"type": "str"},
                },
            },
            pid_file={"type": "path", "default": "/run/containerd/containerd.pid"},
            log_file={"type": "path", "default": "/var/log/containerd.log"},
            wait_timeout={"type": "float", "default": 60},
            stop_timeout={"type": "float", "default": 30},
        ),
        supports_check_mode=True,
    )
    if GRPC_IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib("grpcio"), exception=GRPC_IMPORT_ERROR)
    p = module.params
    desired = DesiredService(
        state=p["state"],
        manager=p["manager"],
        enabled=p["enabled"],
        binary=p["binary"],
        config_path=p["config_path"],
        address=p["address"],
        restart_if=list(p["restart_if"]),
        unit_path=p["unit_path"],
        manage_unit=p["manage_unit"],
        proxy=p["proxy"] or {},
        pid_file=p["pid_file"],
        log_file=p["log_file"],
        wait_timeout=p["wait_timeout"],
        stop_timeout=p["stop_timeout"],
    )
    try:
        plan = plan_service(desired)
        applied = None if module.check_mode else apply_service(plan)
    except OcirtError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    result = service_result(plan, applied, module.check_mode)
    if module._diff:
        result["diff"] = plan.plan.diff()
    module.exit_json(**jsonable(result))


if __name__ == "__main__":
    main()
