#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: read-only details of the images in a containerd namespace."""

from __future__ import annotations

DOCUMENTATION = r"""
module: image_info
short_description: Inspect images in a containerd namespace
version_added: 0.1.0
description:
  - Reads image records, the content store and the snapshotter through containerd's gRPC API,
    without C(ctr). Works the same for images pulled or imported by ocirt, C(ctr) or the CRI.
  - For each image reports its digest, platforms (and which are present locally), compressed
    size, whether it is unpacked and how much disk the unpacked layers use, the image config
    (entrypoint, cmd, env, user, working directory, exposed ports, labels, stop signal,
    volumes) and its layers.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.info
options:
  name:
    description:
      - Images to inspect. Short names are normalised as containerd does, so C(busybox) means
        C(docker.io/library/busybox:latest).
      - Images that do not exist are left out of the result; this is not an error.
      - When neither O(name) nor O(filters) is given, every image of the namespace is reported.
    type: list
    elements: str
  filters:
    description:
      - containerd image filters such as C(name~=busybox) or C(labels."team"==infra).
        Several filters are OR-ed; commas inside one filter AND its parts.
      - Together with O(name), only the named images that match a filter are reported.
    type: list
    elements: str
    default: []
  snapshotter:
    description:
      - The snapshotter whose unpacked layers are looked at for RV(images[].unpacked).
    type: str
    default: overlayfs
  platform:
    description:
      - Which platform of a multi-platform image to describe, as C(os/arch[/variant]).
      - Defaults to the managed node's platform (or the first platform present).
    type: str
notes:
  - O(registry_config_path) is accepted, for C(module_defaults) of the action group, and
    ignored, as this module reads the local image store only.
"""

EXAMPLES = r"""
- name: Details of one image
  ocirt.containerd.image_info:
    name: docker.io/library/busybox:1.36
  register: busybox

- name: Is it ready to run here?
  ansible.builtin.assert:
    that: busybox.images | length == 1 and busybox.images[0].unpacked

- name: Every image Kubernetes has on this node
  ocirt.containerd.image_info:
    namespace: k8s.io
    filters:
      - name~=registry.k8s.io
"""

RETURN = r"""
images:
  description: One entry per image found, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The image record's name.
      type: str
      sample: docker.io/library/busybox:1.36
    digest:
      description: The digest of the index or manifest the name points at.
      type: str
    media_type:
      description: Media type of that index or manifest.
      type: str
    manifest_digest:
      description: The manifest described (for an index, the chosen platform's).
      type: str
    platform:
      description: The platform described, from the image config.
      type: str
      sample: linux/amd64
    platforms:
      description: Every platform the image lists, with its manifest digest and whether its
        manifest, config and layers are all present locally.
      type: list
      elements: dict
    size:
      description: Compressed size in bytes of the blobs present for the described platform.
      type: int
    unpacked:
      description: Whether every layer is unpacked in O(snapshotter).
      type: bool
    unpacked_size:
      description: Disk usage in bytes of the unpacked layers.
      type: int
    chain_id:
      description: The chain ID of the top layer (the snapshot containers start from).
      type: str
    created:
      description: When the image was built (image config C(created)).
      type: str
    labels:
      description: Labels of the image record.
      type: dict
    config:
      description: The runtime part of the image config (entrypoint, cmd, env, user,
        working_dir, exposed_ports, labels, stop_signal, volumes).
      type: dict
    layers:
      description: The layers, bottom first, with digest, size, media_type and diff_id.
      type: list
      elements: dict
    created_at:
      description: When the record was created.
      type: str
    updated_at:
      description: When the record was last changed.
      type: str
"""

from typing import Any, Dict, List, Mapping

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import (
    table_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import run
from ansible_collections.ocirt.containerd.plugins.module_utils.api.images import list_images
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.inspect import describe
from ansible_collections.ocirt.containerd.plugins.module_utils.images.options import (
    IMAGE_INFO_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.registry.reference import (
    normalize_name,
)


def _normalized(name: str) -> str:
    try:
        return normalize_name(name)
    except InvalidInput:
        return name  # e.g. the CRI's "sha256:<id>" records: look them up as given


def _wanted(records: Mapping[str, Any], names: List[str]) -> Dict[str, Any]:
    """The records named as given or as normalised."""
    wanted = set(names) | {_normalized(name) for name in names}
    return {n: r for n, r in records.items() if n in wanted}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(IMAGE_INFO_OPTIONS)),
        supports_check_mode=True,
    )
    p = module.params

    def work(conn):
        conn = conn.with_namespace(p["namespace"])
        records = {r["name"]: r for r in list_images(conn, p["filters"])}
        if p["name"]:
            records = _wanted(records, p["name"])
        images = [
            describe(conn, records[n], p["snapshotter"], p["platform"]) for n in sorted(records)
        ]
        return {"changed": False, "images": images}

    run(module, work)


if __name__ == "__main__":
    main()
