#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a registry's hosts.toml (server, mirrors, TLS, headers) for containerd."""

from __future__ import annotations

DOCUMENTATION = r"""
module: registry
short_description: Manage containerd registry hosts.toml files (mirrors, TLS, headers)
version_added: 0.1.0
description:
  - Writes C(<config_path>/<host>/hosts.toml) in containerd's format, which the CRI (and on
    containerd 2.x the transfer service) read on every pull, so no restart is needed.
    O(config_path) must be the O(ocirt.containerd.config#module:registry_config_path) of
    M(ocirt.containerd.config).
  - Mirrors are tried in the order given, before the server.
  - Certificates and keys may be paths or PEM content; content is written beside
    hosts.toml (keys with mode C(0600)).
  - Certificates and keys are checked before anything is written (in check mode too). A path
    must be an existing file, certificates must parse as PEM, a key must be an unencrypted
    PEM private key that belongs to its certificate. An error names the option.
  - Header values are secrets (authorization tokens), never logged; a hosts.toml with
    headers has mode C(0600) and diffs show the values masked.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.node_state
requirements:
  - python >= 3.9
  - tomlkit (Debian package python3-tomlkit)
options:
  config_path:
    description:
      - The registry hosts directory.
      - Defaults to O(registry_config_path), so C(module_defaults) for the action group can set
        it for this module and the pulls of the others at once; else C(/etc/containerd/certs.d).
    type: path
  host:
    description:
      - Registry host (with C(:port) if not the default), such as C(registry.test:5000), or
        V(_default) for hosts without a directory of their own.
    type: str
    required: true
  state:
    description: V(absent) removes the hosts.toml and the files this module wrote beside it.
    type: str
    choices: [present, absent]
    default: present
  server:
    description: URL of the registry itself (C(server)), such as C(https://registry.test).
    type: str
  capabilities:
    description: What the server may be used for.
    type: list
    elements: str
    choices: [pull, resolve, push]
  ca:
    description: CA certificate of the server, a path or PEM content.
    type: str
  client_cert:
    description: Client certificate for the server, a path or PEM content.
    type: str
  client_key:
    description: Key of O(client_cert), a path or PEM content.
    type: str
  skip_verify:
    description: Do not verify the server's TLS certificate.
    type: bool
  header:
    description: HTTP headers sent to the server, such as C(Authorization). Secrets.
    type: dict
  override_path:
    description: The server URL holds the full API path (no C(/v2) is added).
    type: bool
  mirrors:
    description: Mirrors, in the order containerd tries them.
    type: list
    elements: dict
    default: []
    suboptions:
      url:
        description: Mirror URL, such as C(https://mirror.test:5000).
        type: str
        required: true
      capabilities:
        description: What the mirror may be used for.
        type: list
        elements: str
        choices: [pull, resolve, push]
        default: [pull, resolve]
      ca:
        description: CA certificate of the mirror, a path or PEM content.
        type: str
      client_cert:
        description: Client certificate for the mirror, a path or PEM content.
        type: str
      client_key:
        description: Key of the client certificate, a path or PEM content.
        type: str
      skip_verify:
        description: Do not verify the mirror's TLS certificate.
        type: bool
      header:
        description: HTTP headers sent to the mirror. Secrets.
        type: dict
      override_path:
        description: The mirror URL holds the full API path.
        type: bool
notes:
  - O(address), O(timeout) and O(namespace) are accepted, for C(module_defaults) of the action
    group, and ignored, as this module writes files and never calls containerd.
"""

EXAMPLES = r"""
- name: Pull images of registry.example.internal through a local mirror first
  ocirt.containerd.registry:
    host: registry.example.internal
    server: https://registry.example.internal
    mirrors:
      - url: https://mirror.example.internal:5000
        ca: /etc/ssl/certs/internal-ca.pem

- name: A private registry with a token
  ocirt.containerd.registry:
    host: private.example.internal:5000
    header:
      Authorization: "Bearer {{ registry_token }}"
"""

RETURN = r"""
path:
  description: The hosts.toml file.
  returned: always
  type: str
  sample: /etc/containerd/certs.d/registry.example.internal/hosts.toml
files:
  description: Files written (or to be written in check mode).
  returned: always
  type: list
  elements: str
restart_required:
  description: Always false; containerd reads hosts.toml on each pull.
  returned: always
  type: bool
actions:
  description: What was done (or would be in check mode), and why.
  returned: always
  type: list
  elements: dict
"""

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
    registry_config_path,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    hosts_diff,
    hosts_report,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.document import (
    TOMLKIT_IMPORT_ERROR,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.options import (
    HOST_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import registry
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import (
    Applied,
    Plan,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(config_path={"type": "path"}, **table_spec(HOST_OPTIONS)),
        supports_check_mode=True,
    )
    if TOMLKIT_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("tomlkit"), exception=TOMLKIT_IMPORT_ERROR)
    p = module.params
    desired = registry.desired_from(p, p["config_path"] or registry_config_path(p))

    def report(plan: Plan, applied: Optional[Applied]) -> Dict[str, Any]:
        result = hosts_report(plan, applied)
        if module._diff:
            result["diff"] = hosts_diff(plan)
        return result

    run_reconciler(
        module,
        lambda _conn: registry.plan(desired),
        lambda _conn, planned: registry.apply(planned),
        report,
        connect=False,
    )


if __name__ == "__main__":
    main()
