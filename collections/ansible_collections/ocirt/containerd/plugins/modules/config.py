#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: containerd's config.toml declared, validated by containerd, replaced
atomically, with comments and unknown keys kept."""

from __future__ import annotations

DOCUMENTATION = r"""
module: config
short_description: Manage containerd's config.toml (schema 2 and 3) keeping comments
version_added: 0.1.0
description:
  - Loads the existing C(config.toml) (or, when there is none, the installed containerd's
    C(containerd config default)), merges O(settings) and the typed options into it and
    writes it back. Comments, key order and keys ocirt does not know are kept; applying the
    same options again changes nothing.
  - Typed options are written where the config schema wants them. Schema version 2 is read
    by containerd 1.6 and 1.7, version 3 by containerd 2.0 to 2.2. The version is taken from
    the installed containerd (O(containerd_binary)) unless O(config_version) is set.
    containerd 2.3 and later write version 4, which this module does not write; it then
    fails unless O(config_version=3) is set.
  - A version 2 file under containerd 2.x is first converted with containerd's own
    C(containerd config migrate) (which does not keep comments); keys are never patched
    across schemas.
  - Before the file is replaced the candidate is loaded by the installed containerd
    (C(containerd --config CANDIDATE config dump)); if containerd refuses it, the module
    fails with containerd's message and the file is not touched. An existing file that is
    not valid TOML is reported and left untouched.
  - The file is replaced atomically (temporary file in the same directory, fsync, rename),
    mode C(0644), owner root.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.node_state
requirements:
  - python >= 3.9
  - tomlkit (Debian package python3-tomlkit)
  - the containerd binary, for version detection and validation
options:
  path:
    description: Path of the configuration file.
    type: path
    default: /etc/containerd/config.toml
  settings:
    description:
      - A mapping deep-merged into the file; see the examples.
      - A V(null) value deletes that key (or table).
      - Typed options are applied after O(settings) and win where both name the same key.
    type: dict
    default: {}
  config_version:
    description:
      - Config schema to write; by default the one the installed containerd reads
        (2 for 1.x, 3 for 2.0-2.2).
    type: int
    choices: [2, 3]
  containerd_binary:
    description:
      - The containerd executable used for version detection, C(config default),
        C(config migrate) and validation. Default is C(containerd) found on PATH.
    type: path
  validate:
    description:
      - Load the candidate in the installed containerd before replacing the file.
    type: bool
    default: true
  backup:
    description: Keep a timestamped copy of the previous file beside it.
    type: bool
    default: false
  systemd_cgroup:
    description:
      - C(SystemdCgroup) of the C(runc) CRI runtime's options (under
        C(io.containerd.grpc.v1.cri) in version 2, C(io.containerd.cri.v1.runtime) in
        version 3).
    type: bool
  sandbox_image:
    description:
      - The CRI pause image (C(sandbox_image) in version 2, C(pinned_images.sandbox) of
        C(io.containerd.cri.v1.images) in version 3).
    type: str
  snapshotter:
    description: The CRI snapshotter, such as V(overlayfs) or V(native).
    type: str
  default_runtime:
    description: The CRI default runtime name (C(default_runtime_name)).
    type: str
  runtimes:
    description:
      - CRI runtimes by name. Each value may have C(runtime_type) (such as
        C(io.containerd.runc.v2); needed for a runtime the file does not have), C(binary)
        (written as C(options.BinaryName)), C(options) (a mapping merged into the runtime's
        options), C(pod_annotations) (list) and C(privileged_without_host_devices) (bool).
    type: dict
  registry_config_path:
    description:
      - Directory of registry C(hosts.toml) files (see M(ocirt.containerd.registry)); set for
        the CRI and, in version 3, the transfer service.
    type: path
  max_container_log_line_size:
    description: CRI maximum container log line size in bytes; V(-1) means unlimited.
    type: int
  root_dir:
    description: containerd's persistent root directory (C(root)).
    type: path
  state_dir:
    description: containerd's state directory (C(state)).
    type: path
  grpc_address:
    description: Path of the gRPC unix socket (C(grpc.address)).
    type: path
  grpc_uid:
    description: Owner uid of the gRPC socket.
    type: int
  grpc_gid:
    description: Owner gid of the gRPC socket.
    type: int
  debug_level:
    description: Log level (C(debug.level)).
    type: str
    choices: [trace, debug, info, warn, warning, error, fatal, panic]
  disabled_plugins:
    description: Plugin ids containerd must not load.
    type: list
    elements: str
  cni_bin_dir:
    description:
      - Directory of CNI plugin binaries (C(bin_dirs) on containerd 2.1 and later).
    type: path
  cni_conf_dir:
    description: Directory of CNI network configurations.
    type: path
  enable_cdi:
    description: Enable the Container Device Interface in the CRI (containerd 1.7+).
    type: bool
  oom_score:
    description: OOM score adjustment of the containerd process, -1000 to 1000.
    type: int
  metrics_address:
    description: host:port of the Prometheus metrics endpoint; empty to turn it off.
    type: str
  imports:
    description: Extra configuration files containerd merges in.
    type: list
    elements: str
notes:
  - The top-level C(config_templates/) directory of the ocirt repository has profiles to
    start from (a Kubernetes node, a plain host) for each schema.
  - O(settings) values are written as given; the installed containerd is the judge of
    their validity.
  - O(address), O(timeout) and O(namespace) are accepted, for C(module_defaults) of the action
    group, and ignored, as this module edits a file and never calls containerd.
    O(registry_config_path) is used; set for the group, one value makes containerd read the
    hosts files where M(ocirt.containerd.registry) writes them and where pulls look.
"""

EXAMPLES = r"""
- name: A Kubernetes node
  ocirt.containerd.config:
    systemd_cgroup: true
    sandbox_image: registry.example.internal/pause:3.10
    registry_config_path: /etc/containerd/certs.d
    backup: true
  register: containerd_config
  notify: Restart containerd

- name: Anything else, through settings (null deletes a key)
  ocirt.containerd.config:
    settings:
      plugins:
        io.containerd.nri.v1.nri:
          disable: true
      proxy_plugins: null
"""

RETURN = r"""
path:
  description: The configuration file.
  returned: always
  type: str
  sample: /etc/containerd/config.toml
backup_file:
  description: The backup of the previous file, when O(backup=true) and the file changed.
  returned: always
  type: str
  sample: /etc/containerd/config.toml.2026-11-27@21:30:00~
restart_required:
  description:
    - Whether containerd must be restarted to use the file; false when only comments or
      layout changed, or nothing did.
  returned: always
  type: bool
config_version:
  description: The config schema written.
  returned: always
  type: int
  sample: 3
containerd_version:
  description: Version of the containerd binary used, if one was found.
  returned: always
  type: str
  sample: 2.1.4
effective:
  description:
    - Each typed option as containerd reads it from the resulting file (from
      C(containerd config dump), defaults included), or as the file says when no
      containerd validated it.
  returned: always
  type: dict
  sample: {"systemd_cgroup": true, "sandbox_image": "registry.example.internal/pause:3.10"}
effective_source:
  description: Where RV(effective) comes from, C(containerd config dump) or C(file).
  returned: always
  type: str
actions:
  description: What was done (or would be in check mode), and why.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "target": "/etc/containerd/config.toml", "reason": "changed: debug.level"}]
"""

from typing import Any, Callable, Dict, Optional

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.file_diff import (
    file_diff,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.document import (
    TOMLKIT_IMPORT_ERROR,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.masking import (
    mask_config_text,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.options import (
    CONFIG_FILE_OPTIONS,
    CONFIG_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import config
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import (
    Applied,
    Plan,
)


def _reporter(module: AnsibleModule) -> Callable[[Plan, Optional[Applied]], Dict[str, Any]]:
    def report(plan: Plan, applied: Optional[Applied]) -> Dict[str, Any]:
        outcome: config.ConfigOutcome = plan.after
        for warning in outcome.warnings:
            module.warn(warning)
        result: Dict[str, Any] = {
            "path": outcome.path,
            "backup_file": applied.details["backup_file"] if applied else None,
            "restart_required": outcome.restart_required,
            "config_version": outcome.schema,
            "containerd_version": outcome.containerd_version,
            "effective": outcome.effective,
            "effective_source": outcome.effective_source,
        }
        if module._diff:
            after = outcome.text if plan.changed else plan.before
            result["diff"] = file_diff(outcome.path, plan.before, after, mask_config_text)
        return result

    return report


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            **table_spec(CONFIG_FILE_OPTIONS), **table_spec(CONFIG_OPTIONS)
        ),
        supports_check_mode=True,
    )
    if TOMLKIT_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("tomlkit"), exception=TOMLKIT_IMPORT_ERROR)
    desired = config.desired_from(module.params)
    run_reconciler(
        module,
        lambda _conn: config.plan(desired),
        lambda _conn, planned: config.apply(planned),
        _reporter(module),
        connect=False,
    )


if __name__ == "__main__":
    main()
