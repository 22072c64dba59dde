"""The options of the image domain, declared once (see common/options.py).

``IMAGE_OPTIONS`` is what the image module, ``ocirt pull`` and the image reconciler take;
``IMAGE_INFO_OPTIONS`` what image_info and ``ocirt image inspect|ls`` read with. The
Ansible argument_specs, the validation (naming the option and its allowed values) and the
CLI flags come from here; the registry credentials are the registry access options
(``_ansible/registry_params.py``).
"""

from __future__ import annotations

from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.options import Option, OptionTable

STATES = ("present", "absent")
SOURCES = ("registry", "archive")
PULL_POLICIES = ("missing", "always", "never")

_PLATFORM = Option(
    "platform",
    "str",
    "platform of a multi-platform image, os/arch[/variant] (default: this machine)",
    cli="--platform",
)
_SNAPSHOTTER = Option(
    "snapshotter", "str", "the snapshotter to unpack into", DEFAULT_SNAPSHOTTER, cli="--snapshotter"
)

IMAGE_OPTIONS = OptionTable(
    "image",
    [
        Option("name", "str", "the image reference", required=True),
        Option("state", "str", "present or absent", "present", choices=STATES),
        Option("source", "str", "where a missing image comes from", choices=SOURCES),
        Option("pull", "str", "when to pull", "missing", choices=PULL_POLICIES),
        Option("archive_path", "path", "a tar archive to import the image from"),
        _PLATFORM,
        Option("tags", "list", "more names for the image", [], elements="str", aliases=("tag",)),
        Option(
            "force",
            "bool",
            "pull or import even if the local image is current; remove even if in use",
            False,
            cli="--force",
        ),
        Option("unpack", "bool", "unpack into the snapshotter", True, cli="--no-unpack"),
        _SNAPSHOTTER,
        Option("wait_for_gc", "bool", "wait for garbage collection after a removal", False),
    ],
)

IMAGE_INFO_OPTIONS = OptionTable(
    "image_info",
    [
        Option("name", "list", "images to inspect", elements="str"),
        Option("filters", "list", "containerd image filters", [], elements="str"),
        Option(
            "snapshotter",
            "str",
            "the snapshotter whose unpacked layers are looked at",
            DEFAULT_SNAPSHOTTER,
            cli="--snapshotter",
        ),
        _PLATFORM,
    ],
)
