#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: containerd, runc, CNI plugins and crictl installed from the OS packages
or from checksummed release archives, idempotent by version and checksum."""

from __future__ import annotations

DOCUMENTATION = r"""
module: install
short_description: Install containerd, runc, the CNI plugins and crictl
version_added: 0.1.0
description:
  - With O(method=package) (the default) installs containerd, runc and the CNI plugins with
    the OS package manager (apt, or dnf), optionally at pinned versions
    (O(package_versions)); upgrades and downgrades to a pin.
  - With O(method=archive) installs upstream release artefacts, each from a URL (http or
    https) or a file on the managed node, each with a required sha256 checked before
    anything is replaced. C(containerd-X.Y.Z-linux-ARCH.tar.gz) (its C(bin/) files go to
    O(prefix)C(/bin)), a C(runc.ARCH) binary (to O(prefix)C(/sbin/runc)),
    C(cni-plugins-linux-ARCH-vX.Y.Z.tgz) (to O(cni_bin_dir)) and
    C(crictl-vX.Y.Z-linux-ARCH.tar.gz) (to O(prefix)C(/bin)).
  - What was installed from archives is recorded in O(manifest_path) with the checksum of
    every file. When the archive checksum is the recorded one and the files are intact,
    nothing is downloaded and nothing changes. Files of a component that the new archive no
    longer has (such as C(containerd-shim) after 1.7) are removed.
  - Binaries are replaced atomically (temporary file in the same directory, then rename),
    so a running containerd keeps running; RV(restart_required) tells when it should be
    restarted (see M(ocirt.containerd.service)).
  - Check mode predicts exactly; for archives it downloads and verifies the archive into a
    temporary directory (a wrong checksum fails in check mode too) and compares file
    checksums, installing nothing.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.node_state
requirements:
  - python >= 3.9
options:
  method:
    description: Where containerd comes from.
    type: str
    choices: [package, archive]
    default: package
  packages:
    description:
      - Package names for O(method=package). Default C(containerd), C(runc),
        C(containernetworking-plugins).
    type: list
    elements: str
  package_versions:
    description:
      - Versions to pin, by package name, such as C(containerd=1.6.20~ds1-1+deb12u1). A
        glob (C(1.7.*)) means the newest available match. Unpinned packages are only
        installed when missing.
    type: dict
    default: {}
  package_manager:
    description: The package manager; V(auto) picks apt-get, else dnf.
    type: str
    choices: [auto, apt, dnf]
    default: auto
  update_cache:
    description:
      - Refresh the package lists first (C(apt-get update), C(dnf makecache)); not done in
        check mode and not counted as a change.
    type: bool
    default: false
  containerd:
    description: The containerd release archive, for O(method=archive).
    type: dict
    suboptions: &archive
      url:
        description: http:// or https:// URL of the file.
        type: str
      path:
        description: Absolute path of the file on the managed node.
        type: path
      sha256:
        description: sha256 of the file (64 hex digits, optionally prefixed C(sha256:)).
        type: str
        required: true
      version:
        description:
          - The version to report. By default the extracted binary's C(--version), or the
            version in the file name.
        type: str
  runc:
    description: The runc binary, for O(method=archive).
    type: dict
    suboptions: *archive
  cni_plugins:
    description: The CNI plugins archive, for O(method=archive).
    type: dict
    suboptions: *archive
  crictl:
    description: The crictl archive, for O(method=archive).
    type: dict
    suboptions: *archive
  prefix:
    description: Install prefix of O(method=archive) (C(bin/) and C(sbin/) below it).
    type: path
    default: /usr/local
  cni_bin_dir:
    description: Where the CNI plugins go with O(method=archive).
    type: path
    default: /opt/cni/bin
  manifest_path:
    description: ocirt's record of what it installed from archives.
    type: path
    default: /var/lib/ocirt/install.json
  download_timeout:
    description: Seconds to wait for a download server to answer.
    type: float
    default: 60
notes:
  - Archive URLs with C(user:password@) are shown without the credentials.
  - O(address), O(timeout), O(namespace) and O(registry_config_path) are accepted, for
    C(module_defaults) of the action group, and ignored, as installing does not talk to
    containerd.
"""

EXAMPLES = r"""
- name: containerd from Debian's packages
  ocirt.containerd.install:
  register: containerd_install

- name: Pinned
  ocirt.containerd.install:
    package_versions:
      containerd: "1.6.*"
    update_cache: true

- name: Upstream release archives, served from an internal mirror
  ocirt.containerd.install:
    method: archive
    containerd:
      url: https://files.example.internal/containerd-2.1.4-linux-amd64.tar.gz
      sha256: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    runc:
      url: https://files.example.internal/runc.amd64
      sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    cni_plugins:
      path: /srv/cache/cni-plugins-linux-amd64-v1.6.2.tgz
      sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  register: containerd_install
  notify: Restart containerd
"""

RETURN = r"""
method:
  description: The method used.
  returned: always
  type: str
package_manager:
  description: apt or dnf with O(method=package), else null.
  returned: always
  type: str
restart_required:
  description: Whether the containerd binaries (or package) changed, so a running containerd should restart.
  returned: always
  type: bool
versions:
  description: Per component (archive) or package, the version before and after.
  returned: always
  type: dict
  sample: {"containerd": {"before": "1.7.24", "after": "2.1.4"}}
components:
  description:
    - Per component or package, C(changed), C(version_before), C(version_after); for
      archives also C(source), C(sha256), C(files_changed) and C(files_removed).
  returned: always
  type: dict
actions:
  description: What was done (or would be in check mode), and why.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "install", "target": "/usr/local/bin/containerd", "reason": "containerd 1.7.24 -> 2.1.4: content differs"}]
manifest_path:
  description: The install manifest with O(method=archive), else null.
  returned: always
  type: str
cache_updated:
  description: Whether the package lists were refreshed.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.install.components import NAMES
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.install import (
    DesiredInstall,
    apply_install,
    plan_install,
)

ARCHIVE_SPEC = {
    "type": "dict",
    "options": {
        "url": {"type": "str"},
        "path": {"type": "path"},
        "sha256": {"type": "str", "required": True},
        "version": {"type": "str"},
    },
    "mutually_exclusive": [["url", "path"]],
    "required_one_of": [["url", "path"]],
}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            method={"type": "str", "choices": ["package", "archive"], "default": "package"},
            packages={"type": "list", "elements": "str"},
            package_versions={"type": "dict", "default": {}},
            package_manager={"type": "str", "choices": ["auto", "apt", "dnf"], "default": "auto"},
            update_cache={"type": "bool", "default": False},
            prefix={"type": "path", "default": "/usr/local"},
            cni_bin_dir={"type": "path", "default": "/opt/cni/bin"},
            manifest_path={"type": "path", "default": "/var/lib/ocirt/install.json"},
            download_timeout={"type": "float", "default": 60},
            **{name: dict(ARCHIVE_SPEC) for name in NAMES},
        ),
        supports_check_mode=True,
    )
    p = module.params
    archives = {name: p[name] for name in NAMES if p[name]}
    if p["method"] == "package" and archives:
        module.fail_json(msg=f"{', '.join(archives)}: archives are only used with method=archive")
    desired = DesiredInstall(
        method=p["method"],
        packages=p["packages"],
        package_versions={k: str(v) for k, v in p["package_versions"].items()},
        package_manager=p["package_manager"],
        update_cache=p["update_cache"],
        archives=archives,
        prefix=p["prefix"],
        cni_bin_dir=p["cni_bin_dir"],
        manifest_path=p["manifest_path"],
        download_timeout=p["download_timeout"],
    )
    plan = None
    try:
        plan = plan_install(desired, check_mode=module.check_mode)
        if not module.check_mode:
            apply_install(plan)
    except OcirtError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    finally:
        if plan is not None:
            plan.cleanup()
    result = plan.result()
    if module._diff:
        result["diff"] = {"before": plan.plan.before or {}, "after": plan.plan.after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
