"""``client.images``: pull, list, get, remove, tag, import and export images.

Names are read as docker reads them (``busybox`` is ``docker.io/library/busybox:latest``);
a CRI id (``sha256:...``) stays as it is. A pull goes through the image reconciler, exactly
as the image module's ``pull: always``: nothing is downloaded when the registry serves the
digest already present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, TypedDict, Union

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_SNAPSHOTTER,
)

if TYPE_CHECKING:
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_export import (
        ExportResult,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
        ImportedImage,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.ingest import Progress
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.inspect import (
        ImageRow,
        ImageView,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import PullResult
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.image import (
        ImagePlan,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import (
        ActionSummary,
    )

    from .client import Client


def image_name(text: str) -> str:
    """What the user typed, as containerd stores it; CRI ids (sha256:...) stay as they are."""
    if text.startswith("sha256:"):
        return text
    from ansible_collections.ocirt.containerd.plugins.module_utils.registry.reference import (
        normalize_name,
    )

    return normalize_name(text)


class RemovedImages(TypedDict):
    removed: List[str]
    not_found: List[str]


@dataclass(frozen=True)
class Pulled:
    """What ``images.pull`` did: the image reconciler's plan, and the pull's report when
    something was pulled (None: the local image was already the registry's)."""

    plan: ImagePlan
    pulled: Optional[PullResult]

    @property
    def changed(self) -> bool:
        return self.plan.changed

    @property
    def name(self) -> str:
        """The name as containerd stores it (``busybox`` -> docker.io/library/busybox:latest)."""
        desired = self.plan.desired
        return desired.name if desired is not None else str(self.plan.after["name"])

    @property
    def digest(self) -> str:
        return str(self.plan.after["digest"])

    @property
    def actions(self) -> List[ActionSummary]:
        return self.plan.summaries()


class Image:
    """One image record: ``name``, ``digest`` and ``attrs`` (a list row, or everything
    ``images.get`` describes: platforms, size, config, layers)."""

    def __init__(self, client: Client, attrs: Union[ImageRow, ImageView]) -> None:
        self._client = client
        self.attrs = attrs

    @property
    def name(self) -> str:
        return self.attrs["name"]

    @property
    def digest(self) -> str:
        return self.attrs["digest"]

    @property
    def size(self) -> int:
        """Bytes of its content in containerd (the blobs of its platforms present)."""
        return self.attrs["size"]

    @property
    def platforms(self) -> List[str]:
        """The platforms it has ("linux/amd64", ...)."""
        return [p if isinstance(p, str) else p["platform"] for p in self.attrs["platforms"]]

    @property
    def unpacked(self) -> bool:
        """Whether its layers are unpacked into the snapshotter (ready to run)."""
        return self.attrs["unpacked"]

    def reload(self) -> Image:
        self.attrs = self._client.images.get(self.name).attrs
        return self

    def tag(self, target: str) -> bool:
        return self._client.images.tag(self.name, target)

    def remove(self, force: bool = False) -> bool:
        return bool(self._client.images.remove(self.name, force=force)["removed"])

    def __repr__(self) -> str:
        return f"<ocirt.Image {self.name} {self.digest}>"


class ImageCollection:
    """The images of the client's namespace."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def pull(
        self,
        reference: str,
        platform: Optional[str] = None,
        force: bool = False,
        unpack: bool = True,
        snapshotter: str = DEFAULT_SNAPSHOTTER,
        username: str = "",
        password: str = "",
        progress: Optional[Progress] = None,
    ) -> Pulled:
        """Bring ``reference`` up to date with its registry (through the client's
        hosts.toml directory; credentials from ``username``/``password`` or a docker
        config.json). ``force`` pulls even a current image; ``unpack=False`` only fetches.
        ``progress(digest, bytes_done, total)`` is called as blobs are written."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
            RegistryAccess,
        )
        from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import image

        conn = self._client.connection
        desired = image.DesiredImage(
            name=reference,
            pull="always",
            platform=platform,
            force=force,
            snapshotter=snapshotter if unpack else None,
            access=RegistryAccess(
                config_path=self._client.hosts_dir,
                username=username,
                password=password,
                timeout=conn.timeout,
            ),
        )
        plan = image.plan(conn, desired)
        applied = image.apply(conn, plan, progress=progress) if plan.changed else None
        return Pulled(plan, applied.details.get("pull") if applied is not None else None)

    def list(self, filters: Sequence[str] = ()) -> List[Image]:
        """Every image, sorted by name; ``filters`` as containerd's (``name~=busybox``,
        ``labels."k"==v``; several: any of them)."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.inspect import (
            list_images,
        )

        return [Image(self._client, row) for row in list_images(self._client.connection, filters)]

    def get(
        self, name: str, platform: Optional[str] = None, snapshotter: str = DEFAULT_SNAPSHOTTER
    ) -> Image:
        """One image in detail (for ``platform``, default this machine's); NotFound if none."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.inspect import (
            inspect_image,
        )

        view = inspect_image(self._client.connection, image_name(name), snapshotter, platform)
        return Image(self._client, view)

    def remove(self, *names: str, force: bool = False, sync: bool = False) -> RemovedImages:
        """Remove image records (content goes with containerd's garbage collection, which
        ``sync`` waits for). Images that containers use are refused, naming them, unless
        ``force``; every name is checked before any is removed."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.manage import (
            remove_images,
        )

        wanted = [image_name(n) for n in names]
        removed, missing = remove_images(self._client.connection, wanted, sync=sync, force=force)
        return {"removed": removed, "not_found": missing}

    def tag(self, source: str, target: str) -> bool:
        """Make ``target`` name the image ``source`` names; False if it already did."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.manage import (
            tag_image,
        )

        return tag_image(self._client.connection, image_name(source), image_name(target))

    def import_archive(
        self,
        path: str,
        names: Optional[Sequence[str]] = None,
        platform: Optional[str] = None,
        all_platforms: bool = False,
        unpack: bool = True,
        snapshotter: str = DEFAULT_SNAPSHOTTER,
        progress: Optional[Progress] = None,
    ) -> List[ImportedImage]:
        """Import an OCI or docker archive (checked whole before anything is written);
        ``names`` instead of the archive's own. One row per name recorded."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (  # noqa: E501
            import_archive,
        )

        return import_archive(
            self._client.connection,
            path,
            names=[image_name(n) for n in names] if names else None,
            platform=platform,
            all_platforms=all_platforms,
            snapshotter=snapshotter if unpack else None,
            progress=progress,
        )

    def export(
        self,
        names: Union[str, Sequence[str]],
        path: str,
        platform: Optional[str] = None,
        all_platforms: bool = False,
    ) -> ExportResult:
        """Write the images to an OCI archive at ``path`` (replaced atomically), as
        ``ctr images export`` writes them."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
            InvalidInput,
        )
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_export import (  # noqa: E501
            export_images,
        )

        if platform and all_platforms:
            raise InvalidInput("platform and all_platforms exclude each other")
        wanted = [names] if isinstance(names, str) else list(names)
        return export_images(
            self._client.connection,
            [image_name(n) for n in wanted],
            path,
            platform=platform,
            all_platforms=all_platforms,
        )

    def __repr__(self) -> str:
        return f"<ocirt images of {self._client!r}>"
