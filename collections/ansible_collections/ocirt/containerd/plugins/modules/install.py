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

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.install.components import NAMES
from ansible_collections.ocirt.containerd.plugins.module_utils.install.fetch import WorkDir
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import install
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.install import (
    INSTALL_OPTIONS,
    ComponentPlan,
    DesiredInstall,
    InstallPlan,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import (
    Applied,
    Plan,
)


def component_report(child: Plan) -> Dict[str, Any]:
    """RV(components): versions per package; for archives also source and files."""
    entry = {"changed": child.changed, "version_before": child.before, "version_after": child.after}
    if isinstance(child, ComponentPlan):
        entry.update(
            source=child.source,
            sha256=child.sha256,
            files_changed=child.targets("install"),
            files_removed=child.targets("remove"),
        )
    return entry


def report(plan: InstallPlan, applied: Optional[Applied]) -> Dict[str, Any]:
    outcome = applied.details if applied is not None else install.outcome(plan)
    return {
        "method": plan.method,
        "package_manager": plan.package_manager,
        "restart_required": outcome["restart_required"],
        "components": {c.subject: component_report(c) for c in plan.children},
        "versions": outcome["versions"],
        "manifest_path": plan.manifest_path,
        "cache_updated": plan.cache_updated,
    }


def main() -> None:
    spec = table_spec(INSTALL_OPTIONS)
    for name in NAMES:  # an archive comes from a URL or from a path, never both
        spec[name].update(mutually_exclusive=[["url", "path"]], required_one_of=[["url", "path"]])
    module = AnsibleModule(argument_spec=argument_spec(**spec), supports_check_mode=True)
    desired = DesiredInstall.from_options(module.params)
    with WorkDir() as workdir:
        run_reconciler(
            module,
            lambda _conn: install.plan(desired, workdir, module.check_mode),
            lambda _conn, plan: install.apply(plan),
            report,
            connect=False,
        )


if __name__ == "__main__":
    main()
