"""Pull an image from a registry into containerd, the way containerd's own client does.

Resolve the reference through the hosts.toml endpoints, fetch the graph into the content
store under a renewed lease (blobs verified, interrupted layers resumed), record the image,
unpack it into the snapshotter, drop the lease. When containerd dies mid-pull, the lease
is kept and the next run takes it over, so it resumes instead of starting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, TypedDict

from ..api import leases
from ..common.defaults import DEFAULT_REGISTRY_CONFIG_PATH, DEFAULT_SNAPSHOTTER
from ..registry.reference import Reference, parse_reference
from ..transport.connection import Connection
from .ingest import (
    DAEMON_LOST,
    DEFAULT_PARALLEL_LAYERS,
    BlobSource,
    Progress,
    daemon_lost_during,
    ingest_image,
    record_image,
)
from .platforms import parse as parse_platform

if TYPE_CHECKING:  # the registry client (http.client, ssl, hosts.toml) loads when one is made
    from ..hosts_toml.reader import RegistryHost
    from ..registry.client import RegistryClient

DEFAULT_CONFIG_PATH = DEFAULT_REGISTRY_CONFIG_PATH
SOURCE_LABEL = "containerd.io/distribution.source."


@dataclass
class RegistryAccess:
    """How to reach registries: the hosts.toml directory and the credentials."""

    config_path: Optional[str] = DEFAULT_CONFIG_PATH
    username: str = ""
    password: str = ""
    docker_config: Optional[str] = None  # a docker config.json to take credentials from
    timeout: float = 60.0

    def client(self, reference: Reference) -> RegistryClient:
        """A client of the registry of ``reference``; a container whose image is present
        never makes one, so `run` and the container module do not load it."""
        from ..hosts_toml.reader import registry_hosts
        from ..registry.auth import Credentials, credentials_from_docker_config
        from ..registry.client import RegistryClient

        if self.username:
            creds = Credentials(self.username, self.password)
        else:
            creds = credentials_from_docker_config(reference.domain, self.docker_config)
        hosts = registry_hosts(reference.domain, self.config_path)
        return RegistryClient(reference, hosts, creds, timeout=self.timeout)


class RegistrySource(BlobSource):
    def __init__(self, client: RegistryClient, reference: Reference) -> None:
        self.client = client
        self.reference = reference

    def open(self, descriptor: Mapping[str, Any], offset: int = 0) -> Iterable[bytes]:
        return self.client.open_blob(descriptor, offset)

    def location(self, descriptor: Mapping[str, Any]) -> Dict[str, str]:
        return {SOURCE_LABEL + self.reference.domain: self.reference.path}


class Resolved(TypedDict):
    """What a registry serves for a reference, found without pulling (a HEAD request)."""

    name: str
    descriptor: Dict[str, Any]  # OCI descriptor of the index or manifest
    host: str  # the endpoint that answered, described
    endpoint: Optional[RegistryHost]  # to pull from the same endpoint; None in planner tests


class PullResult(TypedDict):
    name: str
    digest: str
    media_type: str
    platforms: List[str]
    chain_id: str
    blobs_written: int
    source: str  # the endpoint pulled from (and the registry it mirrors)


def resolve_remote(reference: str, access: RegistryAccess) -> Resolved:
    """What the registry serves for ``reference`` now, without pulling anything."""
    ref = parse_reference(reference)
    with access.client(ref) as client:
        descriptor, host = client.resolve()
    return {"name": str(ref), "descriptor": descriptor, "host": host.describe(), "endpoint": host}


def pull_image(
    conn: Connection,
    reference: str,
    access: RegistryAccess,
    platform: Optional[str] = None,
    all_platforms: bool = False,
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
    progress: Optional[Progress] = None,
    parallel: int = DEFAULT_PARALLEL_LAYERS,
    resolved: Optional[Resolved] = None,
) -> PullResult:
    """Pull and unpack; returns name, digest, media type, the platforms pulled and more.

    ``resolved`` (what ``resolve_remote`` answered when the change was planned) pins the
    pull to the digest the plan announced instead of asking the registry again.
    """
    ref = parse_reference(reference)
    wanted = parse_platform(platform)
    with access.client(ref) as client:
        pinned = resolved["endpoint"] if resolved else None
        if resolved and pinned is not None:
            top, host = resolved["descriptor"], pinned
        else:
            top, host = client.resolve()
        source = RegistrySource(client, ref)
        with (
            daemon_lost_during(f"the pull of {ref}"),
            leases.operation_lease(conn, f"pull {ref}", keep_on=DAEMON_LOST) as lease,
        ):
            result = ingest_image(
                conn,
                source,
                top,
                wanted,
                all_platforms,
                snapshotter=snapshotter,
                lease=lease,
                progress=progress,
                parallel=parallel,
            )
            recorded = record_image(conn, [str(ref)], result, snapshotter, lease)
    return {
        "name": str(ref),
        "digest": top["digest"],
        "media_type": top["mediaType"],
        "platforms": [image.platform for image in result.images],
        "chain_id": recorded["chain_id"],
        "blobs_written": len(result.written),
        "source": _describe(host),
    }


def _describe(host: RegistryHost) -> str:
    return host.describe() + (f" (mirror of {host.mirror_of})" if host.mirror_of else "")
