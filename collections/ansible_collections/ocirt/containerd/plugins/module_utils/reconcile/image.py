"""Images: present (pulled from a registry or imported from an archive), tagged, or absent.

``observe`` asks containerd (and, only when the decision needs it, the registry with a HEAD
request or the archive on disk) and returns plain data; ``decide`` is a pure function of
the desired and the observed image; ``plan`` is the two, ``apply`` carries a plan out.
Nothing is downloaded in check mode, and a pull is pinned to the digest the plan announced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, TypedDict

from ..api import images
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import InvalidInput
from ..images.archive_import import ImportedImage, import_archive, read_archive
from ..images.ingest import Progress
from ..images.local_state import LocalImageState, local_state
from ..images.manage import containers_using, in_use, remove_image
from ..images.options import IMAGE_OPTIONS, SOURCES
from ..images.platforms import format_platform
from ..images.platforms import parse as parse_platform
from ..images.pull import RegistryAccess, Resolved, pull_image, resolve_remote
from ..registry.reference import normalize_name
from ..transport.connection import Connection
from .plan import Action, Applied, Plan


class ImageSummary(TypedDict):
    """An image as the plan's before/after show it."""

    name: str
    digest: str
    media_type: str


class ArchiveEntry(TypedDict):
    """One image of an archive, as ``archive_import.read_archive`` lists it."""

    names: List[str]
    descriptor: Dict[str, Any]


@dataclass
class DesiredImage:
    name: str
    state: str = "present"
    source: Optional[str] = None  # None: archive if archive_path is given, else registry
    pull: str = "missing"
    archive_path: Optional[str] = None
    platform: Optional[str] = None
    tags: List[str] = field(default_factory=list)
    force: bool = False
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER  # None: do not unpack
    wait_for_gc: bool = False
    access: RegistryAccess = field(default_factory=RegistryAccess)

    def validate(self) -> None:
        self.source = self._source()
        IMAGE_OPTIONS.check({"state": self.state, "source": self.source, "pull": self.pull})
        self.name = normalize_name(self.name)
        self.tags = [normalize_name(t) for t in self.tags]
        if self.source == "archive" and self.state == "present" and not self.archive_path:
            raise InvalidInput("source=archive needs archive_path")
        self.wanted_platform = parse_platform(self.platform)

    def _source(self) -> str:
        """An archive_path says where the image comes from; a source that contradicts it is
        refused rather than one of the two silently ignored."""
        if self.source is None:
            return "archive" if self.archive_path else "registry"
        if self.source == "registry" and self.archive_path:
            raise InvalidInput(
                f"source=registry and archive_path={self.archive_path} contradict each other: "
                "archive_path is read only with source=archive (allowed source values: "
                f"{', '.join(SOURCES)}; leave source unset to take it from archive_path)"
            )
        return self.source


@dataclass
class ObservedImage:
    """What is there: the record, its local state, its tags, and what the source offers."""

    name: str
    namespace: str = ""
    record: Optional[ImageSummary] = None  # None: no image of that name
    state: Optional[LocalImageState] = None  # for the wanted platform and snapshotter
    tags: Dict[str, Optional[str]] = field(default_factory=dict)  # tag -> digest it names
    users: List[str] = field(default_factory=list)  # containers using it (state=absent)
    remote: Optional[Resolved] = None  # what the registry serves, when the decision needs it
    archive: List[ArchiveEntry] = field(default_factory=list)  # the archive's images


@dataclass
class ImagePlan(Plan):
    """A plan for one image; it keeps the desired image its actions are carried out with."""

    desired: Optional[DesiredImage] = None


def _summary(name: str, target: Optional[Dict[str, Any]]) -> Optional[ImageSummary]:
    if not target:
        return None
    return {"name": name, "digest": target["digest"], "media_type": target["media_type"]}


def needs_remote(desired: DesiredImage, observed: ObservedImage) -> bool:
    """Whether deciding needs the registry's answer: a pull may be due, or pull=always."""
    if desired.state != "present" or desired.source != "registry" or desired.pull == "never":
        return False
    complete = observed.state is not None and observed.state["complete"]
    return desired.pull == "always" or desired.force or observed.record is None or not complete


def observe(conn: Connection, desired: DesiredImage) -> ObservedImage:
    """Read what containerd holds (and what the source offers, when it matters)."""
    record = images.get_image(conn, desired.name)
    observed = ObservedImage(desired.name, conn.namespace or "")
    observed.record = _summary(desired.name, record["target"] if record else None)
    if desired.state == "absent":
        if record is not None and not desired.force:
            observed.users = containers_using(conn, desired.name)
        return observed
    if record is not None:
        target = record["target"]
        observed.state = local_state(conn, target, desired.wanted_platform, desired.snapshotter)
    for tag in desired.tags:
        tagged = images.get_image(conn, tag)
        observed.tags[tag] = tagged["target"]["digest"] if tagged else None
    if needs_remote(desired, observed):
        observed.remote = resolve_remote(desired.name, desired.access)
    if desired.source == "archive" and desired.archive_path:
        entries = read_archive(desired.archive_path, platform=desired.platform)
        observed.archive = [{"names": e["names"], "descriptor": e["descriptor"]} for e in entries]
    return observed


Decision = Tuple[Optional[Action], Optional[ImageSummary], str]  # action, after, noop reason


def _pull_reason(desired: DesiredImage, observed: ObservedImage, platform: str) -> Optional[str]:
    record, state, remote = observed.record, observed.state, observed.remote
    if desired.force:
        return "force=true"
    if record is None or state is None:
        return "image is not present"
    if not state["complete"]:
        return f"image is incomplete for {platform}" + (
            "" if state["unpacked"] else " or not unpacked"
        )
    if desired.pull == "always" and remote and remote["descriptor"]["digest"] != record["digest"]:
        return (
            f"the registry serves {remote['descriptor']['digest']}, "
            f"the local image is {record['digest']}"
        )
    return None


def _never_pull(desired: DesiredImage, observed: ObservedImage, platform: str) -> Decision:
    state = observed.state
    if observed.record is None or state is None:
        raise InvalidInput(f"image {desired.name} is not present and pull=never forbids pulling it")
    if not state["complete"]:
        unpacked = "" if state["unpacked"] else ", not unpacked"
        raise InvalidInput(
            f"image {desired.name} is incomplete for {platform} (missing "
            f"{len(state['missing'])} blobs{unpacked}) and pull=never forbids pulling it"
        )
    return None, observed.record, f"image is present and complete for {platform}"


def _decide_registry(desired: DesiredImage, observed: ObservedImage) -> Decision:
    """The pull a registry source needs (None if none), the image after it, or why not."""
    platform = format_platform(desired.wanted_platform)
    if desired.pull == "never":
        return _never_pull(desired, observed, platform)
    reason = _pull_reason(desired, observed, platform)
    if reason is None:
        if desired.pull == "always":
            return None, observed.record, "the registry serves the local image's digest"
        return None, observed.record, f"image is present and complete for {platform}"
    remote = observed.remote
    if remote is None:
        raise InvalidInput(f"image {desired.name}: the registry was not asked what it serves")
    descriptor = remote["descriptor"]
    after: ImageSummary = {
        "name": desired.name,
        "digest": descriptor["digest"],
        "media_type": descriptor["mediaType"],
    }
    action = Action("pull", desired.name, reason, {"source": remote["host"], "resolved": remote})
    return action, after, ""


def archive_entry(desired: DesiredImage, entries: List[ArchiveEntry]) -> ArchiveEntry:
    """The archive's image named ``desired.name``, or its only image."""
    for entry in entries:
        if desired.name in [normalize_name(n) for n in entry["names"]]:
            return entry
    if len(entries) != 1:
        names = sorted(n for e in entries for n in e["names"])
        raise InvalidInput(
            f"archive {desired.archive_path} has no image named {desired.name} "
            f"(it has {', '.join(names) or 'unnamed images'})"
        )
    return entries[0]


def _decide_archive(desired: DesiredImage, observed: ObservedImage) -> Decision:
    """The import an archive source needs (None if none), the image after it, or why not."""
    descriptor = archive_entry(desired, observed.archive)["descriptor"]
    after: ImageSummary = {
        "name": desired.name,
        "digest": descriptor["digest"],
        "media_type": descriptor["mediaType"],
    }
    record, state = observed.record, observed.state
    if desired.force:
        reason = "force=true"
    elif record is None or state is None:
        reason = "image is not present"
    elif record["digest"] != descriptor["digest"]:
        reason = f"the archive holds {descriptor['digest']}, the local image is {record['digest']}"
    elif not state["complete"]:
        reason = "image is incomplete or not unpacked"
    else:
        return None, record, "image is the archive's and complete"
    return Action("import", desired.name, reason, {"archive": desired.archive_path}), after, ""


def _tag_actions(desired: DesiredImage, observed: ObservedImage, digest: str) -> List[Action]:
    actions = []
    for tag in desired.tags:
        have = observed.tags.get(tag)
        if have != digest:
            reason = "tag does not exist" if have is None else f"tag points at {have}"
            actions.append(Action("tag", tag, reason, {"source": desired.name}))
    return actions


def _decide_absent(desired: DesiredImage, observed: ObservedImage) -> ImagePlan:
    subject = f"image {desired.name}"
    if observed.record is None:
        return ImagePlan([], noop_reason="image is not present", subject=subject, desired=desired)
    if observed.users and not desired.force:
        raise in_use(observed.namespace, [(desired.name, observed.users)])
    action = Action("remove", desired.name, "image is present")
    return ImagePlan([action], before=observed.record, subject=subject, desired=desired)


def decide(desired: DesiredImage, observed: ObservedImage) -> ImagePlan:
    """The plan for a validated ``desired`` image given what is there (no I/O)."""
    if desired.state == "absent":
        return _decide_absent(desired, observed)
    decide_source = _decide_registry if desired.source == "registry" else _decide_archive
    action, after, why = decide_source(desired, observed)
    actions = [action] if action else []
    if after is not None:
        actions += _tag_actions(desired, observed, after["digest"])
    if not actions and desired.tags:
        why += "; its tags name it"
    return ImagePlan(
        actions,
        before=observed.record,
        after=after,
        noop_reason="" if actions else why,
        subject=f"image {desired.name}",
        desired=desired,
    )


def plan(conn: Connection, desired: DesiredImage) -> ImagePlan:
    """Validate, observe and decide."""
    desired.validate()
    return decide(desired, observe(conn, desired))


def _desired(plan: Plan) -> DesiredImage:
    if not isinstance(plan, ImagePlan) or plan.desired is None:
        raise InvalidInput("not an image plan: make it with reconcile.image.plan")
    return plan.desired


def apply(conn: Connection, plan: Plan, progress: Optional[Progress] = None) -> Applied:
    """Carry out the plan; ``details`` holds what a pull or an import produced."""
    desired = _desired(plan)
    done: Dict[str, Any] = {}
    for action in plan.actions:
        if action.kind == "remove":
            remove_image(conn, desired.name, sync=desired.wait_for_gc, force=desired.force)
        elif action.kind == "pull":
            done["pull"] = pull_image(
                conn,
                desired.name,
                desired.access,
                desired.platform,
                snapshotter=desired.snapshotter,
                progress=progress,
                resolved=action.details["resolved"],
            )
        elif action.kind == "import":
            done["import"] = _import(conn, desired, progress)
        elif action.kind == "tag":
            source = images.get_image(conn, desired.name)
            if source is None:
                raise InvalidInput(f"image {desired.name} went away before it was tagged")
            images.put_image(conn, action.target, source["target"])
    return Applied(plan, after=plan.after, details=done)


def _import(
    conn: Connection, desired: DesiredImage, progress: Optional[Progress]
) -> List[ImportedImage]:
    return import_archive(
        conn,
        desired.archive_path or "",
        names=[desired.name],
        platform=desired.platform,
        snapshotter=desired.snapshotter,
        progress=progress,
    )
