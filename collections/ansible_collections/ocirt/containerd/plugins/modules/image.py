#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a containerd image present (pulled or imported), tagged, or absent."""

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Pull, import, tag and remove containerd images
version_added: 0.1.0
description:
  - Puts an image into containerd's image store the way containerd's own client does, over its
    gRPC API (content written under a lease with containerd's garbage collection labels,
    the image record created, and the layers unpacked into the snapshotter, so C(ctr run)
    and the Kubernetes CRI (in namespace C(k8s.io)) use it at once).
  - Registries are reached as the CRI reaches them, through the C(hosts.toml) files of
    O(registry_config_path) (mirrors, CA certificates, client certificates, headers).
  - In check mode with O(pull=always), the registry is asked for the digest it serves now
    (no download), so the prediction is exact.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.grpc
  - ocirt.containerd.registry_access
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the image's name and digest before and after.
  idempotent:
    support: full
options:
  name:
    description:
      - The image reference, such as C(busybox), C(registry.example:5000/team/app:1.2) or a
        reference pinned by digest. Short names are normalised as containerd does
        (C(busybox) is C(docker.io/library/busybox:latest)).
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the image is there, complete for the platform and unpacked.
      - V(absent) removes the image record; containerd collects content no other image uses.
        An image that containers use is only removed with O(force=true).
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Where a missing image comes from.
      - Defaults to V(archive) when O(archive_path) is given, else V(registry).
      - V(registry) together with O(archive_path) is refused, as they contradict each other.
    type: str
    choices: [registry, archive]
  pull:
    description:
      - With O(source=registry), when to pull.
      - V(missing) pulls when the image is absent or incomplete.
      - V(always) pulls when the registry serves a digest other than the local one.
      - V(never) fails if the image is not already complete.
    type: str
    choices: [missing, always, never]
    default: missing
  archive_path:
    description:
      - A tar archive on the managed node in OCI image layout or C(docker save) format
        (plain or gzip-compressed), imported with O(source=archive) (implied when
        O(source) is not set).
      - The image named O(name) is taken from it; an archive holding one image is imported
        under O(name) whatever it is called inside.
    type: path
  platform:
    description:
      - The platform to pull or import from a multi-platform image, as C(os/arch[/variant]).
      - Defaults to the managed node's own platform.
    type: str
  tags:
    description:
      - More names to give the image (like C(docker tag)).
    type: list
    elements: str
    default: []
    aliases: [tag]
  force:
    description:
      - With O(state=present), pull or import even when the image is already as asked.
      - With O(state=absent), remove the image even when containers use it (otherwise that
        fails naming the containers, in check mode too). The containers are left as they
        are, but cannot be recreated from the image.
    type: bool
    default: false
  unpack:
    description:
      - Unpack the layers into O(snapshotter) so containers can start from the image.
    type: bool
    default: true
  snapshotter:
    description:
      - The snapshotter to unpack into.
    type: str
    default: overlayfs
  wait_for_gc:
    description:
      - With O(state=absent), wait until containerd has collected the content the image alone used.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The pause image for Kubernetes, from the registry's mirror configured in hosts.toml
  ocirt.containerd.image:
    name: registry.k8s.io/pause:3.9
    namespace: k8s.io

- name: Keep an application image at the digest the registry serves
  ocirt.containerd.image:
    name: registry.example:5000/team/app:stable
    pull: always
    username: deploy
    password: "{{ registry_password }}"

- name: Air-gapped import of a docker save archive, also tagged as app:current
  ocirt.containerd.image:
    name: registry.example:5000/team/app:1.4
    archive_path: /srv/images/app-1.4.tar
    tags: [registry.example:5000/team/app:current]

- name: Remove an image
  ocirt.containerd.image:
    name: busybox
    state: absent

- name: Options shared by every module of the collection, set once for a block
  module_defaults:
    group/ocirt.containerd.containerd:
      namespace: k8s.io
      registry_config_path: /etc/containerd/certs.d
  block:
    - name: The sandbox image, where the CRI looks for it
      ocirt.containerd.image:
        name: registry.k8s.io/pause:3.9
    - name: Its hosts.toml is written into the same registry_config_path
      ocirt.containerd.registry:
        host: registry.k8s.io
        server: https://registry.k8s.io
"""

RETURN = r"""
image:
  description: The image after the run (predicted in check mode); null when absent.
  returned: success
  type: dict
  contains:
    name:
      description: Normalised image name.
      type: str
    digest:
      description: Digest of the index or manifest the image points at.
      type: str
    media_type:
      description: Media type of that index or manifest.
      type: str
  sample: {"name": "docker.io/library/busybox:latest", "digest": "sha256:3fbc...", "media_type": "application/vnd.oci.image.index.v1+json"}
actions:
  description: What was done (or would be done in check mode), and why.
  returned: success
  type: list
  elements: dict
  sample: [{"action": "pull", "target": "docker.io/library/busybox:latest", "reason": "image is not present"}]
pulled:
  description: Details of the pull, when one happened.
  returned: when a pull happened
  type: dict
imported:
  description: The images an archive import created, when one happened.
  returned: when an import happened
  type: list
  elements: dict
"""

from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import (
    table_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    REGISTRY_ACCESS_OPTIONS,
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.options import (
    IMAGE_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import image
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import (
    Applied,
    Plan,
)


def report(plan: Plan, applied: Optional[Applied]) -> Dict[str, Any]:
    """The image after the run, and what a pull or an import produced."""
    result: Dict[str, Any] = {"image": plan.after}
    done = applied.details if applied is not None else {}
    if "pull" in done:
        result["pulled"] = done["pull"]
    if "import" in done:
        result["imported"] = done["import"]
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(IMAGE_OPTIONS), **REGISTRY_ACCESS_OPTIONS),
        required_if=[("source", "archive", ["archive_path"])],
        required_together=[("username", "password")],
        supports_check_mode=True,
    )
    p = module.params
    desired = image.DesiredImage(
        name=p["name"],
        state=p["state"],
        source=p["source"],
        pull=p["pull"],
        archive_path=p["archive_path"],
        platform=p["platform"],
        tags=p["tags"],
        force=p["force"],
        snapshotter=p["snapshotter"] if p["unpack"] else None,
        wait_for_gc=p["wait_for_gc"],
        access=registry_access(p),
    )
    run_reconciler(
        module,
        lambda conn: image.plan(conn.with_namespace(p["namespace"]), desired),
        lambda conn, planned: image.apply(conn.with_namespace(p["namespace"]), planned),
        report,
    )


if __name__ == "__main__":
    main()
