"""The keys of a state document and of each of its entries, from the modules' option tables.

An image entry is ``images.options.IMAGE_OPTIONS``, a namespace entry
``reconcile.namespace.NAMESPACE_OPTIONS``, a network entry ``cni.options.NETWORK_OPTIONS``,
a container entry the options of the container module (its control options,
``containers.option_table.CONTAINER_TABLE``), a pod entry the pod module's
(``pods.options.POD_OPTIONS``, in the CRI's namespace k8s.io); image, container and pod
entries also take the registry credentials the image and container modules take, and image
and container entries a ``namespace`` of their own. The tables are used as they are, so a
new option of a module is a key of the document (and of its JSON Schema) with nothing else
to change.
"""

from __future__ import annotations

from ..cni.options import NETWORK_OPTIONS
from ..common.options import Option, OptionTable
from ..containers.option_table import CONTAINER_TABLE
from ..images.options import IMAGE_OPTIONS
from ..pods.options import POD_OPTIONS
from ..reconcile.container import STATES as CONTAINER_STATES
from ..reconcile.namespace import NAMESPACE_OPTIONS

DEFAULT_GROUP = "default"  # as the containers module's: the same label, the same set

#: The credentials of the image and container modules (``doc_fragments/registry_access``);
#: ``password`` is a secret: never in a plan's JSON, a diff or a log.
REGISTRY_ACCESS = (
    Option("username", "str", "User name for the registry."),
    Option("password", "str", "Password or token for O(username).", no_log=True),
    Option("docker_config", "path", "A docker C(config.json) to take credentials from."),
)
_ENTRY_NAMESPACE = Option(
    "namespace", "str", "The containerd namespace of this entry; default: the document's."
)

CONTAINER_CONTROL = (
    Option("name", "str", "Container id.", required=True),
    Option("state", "str", "What the container is to be.", "started", choices=CONTAINER_STATES),
    Option("recreate", "bool", "Recreate even when nothing differs.", False),
    Option("restart", "bool", "Restart a running container that is not recreated.", False),
    Option("adopt", "bool", "Take over a container ocirt did not create.", False),
)

NAMESPACE_ENTRY = NAMESPACE_OPTIONS
NETWORK_ENTRY = NETWORK_OPTIONS
IMAGE_ENTRY = OptionTable("image entry", [*IMAGE_OPTIONS, _ENTRY_NAMESPACE, *REGISTRY_ACCESS])
CONTAINER_ENTRY = OptionTable(
    "container entry", [*CONTAINER_CONTROL, *CONTAINER_TABLE, _ENTRY_NAMESPACE, *REGISTRY_ACCESS]
)
POD_ENTRY = OptionTable("pod entry", [*POD_OPTIONS, *REGISTRY_ACCESS])
#: The keys of a container entry that are not container options (from_item's control keys
#: are handled by reconcile.containers itself).
CONTAINER_EXTRA = ("pull", "namespace", *(o.name for o in REGISTRY_ACCESS))

#: list key -> the table of its entries, in the order they are planned
SECTIONS = {
    "namespaces": NAMESPACE_ENTRY,
    "networks": NETWORK_ENTRY,
    "images": IMAGE_ENTRY,
    "containers": CONTAINER_ENTRY,
    "pods": POD_ENTRY,
}

DOCUMENT = OptionTable(
    "state document",
    [
        Option(
            "namespace",
            "str",
            "The namespace of entries that name none; default: the front end's "
            "(C(--namespace), the module's O(namespace)).",
        ),
        Option(
            "namespaces", "list", "Namespaces, as M(ocirt.containerd.namespace) takes them.", []
        ),
        Option(
            "networks", "list", "Bridge networks, as M(ocirt.containerd.network) takes them.", []
        ),
        Option("images", "list", "Images, as M(ocirt.containerd.image) takes them.", []),
        Option(
            "containers", "list", "Containers, as M(ocirt.containerd.container) takes them.", []
        ),
        Option("pods", "list", "CRI pods, as M(ocirt.containerd.pod) takes them.", []),
        Option(
            "group",
            "str",
            "The set the containers belong to (label C(io.ocirt/group)).",
            DEFAULT_GROUP,
        ),
        Option(
            "prune",
            "bool",
            "Remove containers of O(group) that ocirt created and that are not listed.",
            False,
        ),
    ],
)
