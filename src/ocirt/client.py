"""The public Python API: ``client = ocirt.connect(address=..., namespace=...)``.

A small facade in the manner of docker-py over the runtime library (the collection's
``module_utils``): every call goes to the same reconcilers and verbs the Ansible modules and
the ``ocirt`` command use, so a script, a playbook and the CLI always agree. Nothing here
decides anything about containerd itself.

    import ocirt

    with ocirt.connect(namespace="demo") as client:
        client.images.pull("registry.example:5000/team/app:1.4")
        web = client.containers.run("registry.example:5000/team/app:1.4", name="web")
        print(web.status, web.pid, client.containers.get("web").logs())

Importing this module costs the transport only; the image, registry and container parts of
the library are loaded by the first call that needs them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, List, Mapping, Optional

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_ADDRESS,
    DEFAULT_NAMESPACE,
    DEFAULT_REGISTRY_CONFIG_PATH,
    DEFAULT_TIMEOUT,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    AlreadyExists,
    DaemonUnavailable,
    FailedPrecondition,
    InvalidInput,
    NotFound,
    OcirtError,
    PermissionDenied,
    Timeout,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .client_containers import Container, ContainerCollection
from .client_images import Image, ImageCollection, Pulled

if TYPE_CHECKING:
    from ansible_collections.ocirt.containerd.plugins.module_utils.api.namespaces import (
        NamespaceRecord,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.api.version import (
        VersionInfo,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import Applied
    from ansible_collections.ocirt.containerd.plugins.module_utils.report.daemon_info import (
        DaemonInfo,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.state.outcome import (
        StateReport,
    )

__all__ = [
    "AlreadyExists",
    "Client",
    "Connection",
    "Container",
    "DaemonUnavailable",
    "FailedPrecondition",
    "Image",
    "InvalidInput",
    "NotFound",
    "OcirtError",
    "PermissionDenied",
    "Pulled",
    "Timeout",
    "connect",
]


class NamespaceCollection:
    """containerd's namespaces (``client.namespaces``), through the namespace reconciler."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> List[NamespaceRecord]:
        """Every namespace, sorted by name: ``[{'name', 'labels'}]``."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.api.namespaces import (
            list_namespaces,
        )

        return sorted(list_namespaces(self._client.connection), key=lambda n: n["name"])

    def create(self, name: str, labels: Optional[Mapping[str, str]] = None) -> Applied:
        """Have namespace ``name`` exist with these labels (others are kept); what was done,
        with the plan's actions and reasons (none when it already was so)."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
            namespace,
        )

        desired = namespace.DesiredNamespace(name, "present", dict(labels or {}))
        conn = self._client.connection
        return namespace.apply(conn, namespace.plan(conn, desired))

    def remove(self, name: str) -> bool:
        """Delete an empty namespace; False if there is none. One that still holds images
        or containers is refused, naming them."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
            namespace,
        )

        conn = self._client.connection
        plan = namespace.plan(conn, namespace.DesiredNamespace(name, "absent"))
        if plan.changed:
            namespace.apply(conn, plan)
        return plan.changed


class Client:
    """A connection to one containerd, working in one namespace.

    ``images``, ``containers`` and ``namespaces`` hold the verbs; ``connection`` is the
    library's own connection, for the runtime library's modules themselves. Close it (or
    use it as a context manager) when done. Connecting is lazy: a containerd that is not
    there is reported by the first call, as a ``DaemonUnavailable`` saying why.
    """

    def __init__(
        self,
        address: Optional[str] = None,
        namespace: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        hosts_dir: str = DEFAULT_REGISTRY_CONFIG_PATH,
        connection: Optional[Connection] = None,
    ) -> None:
        if connection is None:
            connection = Connection(
                address or os.environ.get("CONTAINERD_ADDRESS") or DEFAULT_ADDRESS,
                namespace=namespace or os.environ.get("CONTAINERD_NAMESPACE") or DEFAULT_NAMESPACE,
                timeout=timeout,
            )
        self.connection = connection
        #: where registry hosts (mirrors, CAs, credentials headers) are configured, as the CRI
        self.hosts_dir = hosts_dir
        self.images = ImageCollection(self)
        self.containers = ContainerCollection(self)
        self.namespaces = NamespaceCollection(self)

    @property
    def address(self) -> str:
        return self.connection.address

    @property
    def namespace(self) -> Optional[str]:
        return self.connection.namespace

    def with_namespace(self, namespace: str) -> Client:
        """The same daemon (and channel) in another namespace."""
        return Client(
            hosts_dir=self.hosts_dir, connection=self.connection.with_namespace(namespace)
        )

    def version(self) -> VersionInfo:
        """The daemon's ``{'version', 'revision'}``."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.api.version import (
            get_version,
        )

        return get_version(self.connection)

    def info(self) -> DaemonInfo:
        """What the daemon is and serves: version, plugins (and why any failed),
        snapshotters, the CRI, namespaces with their image and container counts."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.report.daemon_info import (
            gather_info,
        )

        return gather_info(self.connection)

    def apply(
        self, document: Any, *, check: bool = False, prune: bool = False
    ) -> StateReport:
        """Bring namespaces, images and containers to a state document (README, "Declared
        state"): ``document`` is the parsed mapping or its YAML/JSON text. Every problem of
        an invalid document is raised at once (``InvalidInput``, each with its path) before
        anything is touched. ``check`` only plans. Returns the ``ocirt.state/v1`` report;
        its ``changed`` says whether anything was (or, with ``check``, would be) done."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.state import run
        from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import (
            parse_text,
        )

        raw = parse_text(document) if isinstance(document, str) else document
        parsed = run.load(raw, self.connection, self.hosts_dir, prune)
        return run.run(self.connection, parsed, "check" if check else "apply")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ocirt.Client {self.address} namespace={self.namespace}>"


def connect(
    address: Optional[str] = None,
    namespace: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
    hosts_dir: str = DEFAULT_REGISTRY_CONFIG_PATH,
) -> Client:
    """A client of the containerd at ``address`` (default ``$CONTAINERD_ADDRESS``, else
    /run/containerd/containerd.sock) in ``namespace`` (default ``$CONTAINERD_NAMESPACE``,
    else ``default``), as ``ctr`` reads them. ``timeout`` bounds each call to containerd
    and each registry request; ``hosts_dir`` is the hosts.toml directory pulls follow."""
    return Client(address, namespace, timeout=timeout, hosts_dir=hosts_dir)
