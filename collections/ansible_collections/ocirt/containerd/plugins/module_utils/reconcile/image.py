"""Images: present (pulled from a registry or imported from an archive), tagged, or absent.

The plan decides with what containerd holds and, for pull=always, with the digest the
registry serves now (a HEAD request: nothing is downloaded in check mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..api import images
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import InvalidInput
from ..images.ingest import Progress
from ..images.local_state import local_state
from ..images.manage import check_removable, remove_image
from ..images.platforms import format_platform
from ..images.platforms import parse as parse_platform
from ..images.pull import RegistryAccess, pull_image, resolve_remote
from ..registry.reference import normalize_name
from ..transport.connection import Connection
from .plan import Action, Plan

STATES = ("present", "absent")
SOURCES = ("registry", "archive")
PULL_POLICIES = ("missing", "always", "never")


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
        for option, value, allowed in (
            ("state", self.state, STATES),
            ("source", self.source, SOURCES),
            ("pull", self.pull, PULL_POLICIES),
        ):
            if value not in allowed:
                raise InvalidInput(f"{option} must be one of {', '.join(allowed)}, got {value!r}")
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


def _summary(name: str, target: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if not target:
        return None
    return {"name": name, "digest": target["digest"], "media_type": target["media_type"]}


def plan_image(conn: Connection, desired: DesiredImage) -> Plan:
    desired.validate()
    record = images.get_image(conn, desired.name)
    before = _summary(desired.name, record["target"] if record else None)

    if desired.state == "absent":
        if record is None:
            return Plan([])
        check_removable(conn, [desired.name], desired.force)
        return Plan([Action("remove", desired.name, "image is present")], before=before)

    state = (
        local_state(conn, record["target"], desired.wanted_platform, desired.snapshotter)
        if record
        else None
    )
    after = before
    actions: List[Action] = []
    if desired.source == "registry":
        action, after = _plan_registry(desired, record, state, before)
    else:
        action, after = _plan_archive(desired, record, state, before)
    if action:
        actions.append(action)
    for tag in desired.tags:
        tagged = images.get_image(conn, tag)
        if not tagged or tagged["target"]["digest"] != after["digest"]:
            reason = (
                "tag does not exist"
                if not tagged
                else f"tag points at {tagged['target']['digest']}"
            )
            actions.append(Action("tag", tag, reason, {"source": desired.name}))
    return Plan(actions, before=before, after=after)


def _plan_registry(
    desired: DesiredImage,
    record: Optional[Dict[str, Any]],
    state: Optional[Dict[str, Any]],
    before: Optional[Dict[str, Any]],
) -> Tuple[Optional[Action], Optional[Dict[str, Any]]]:
    """The pull action a registry source needs (None if none), and the image after it."""
    platform = format_platform(desired.wanted_platform)
    if desired.pull == "never":
        if record is None:
            raise InvalidInput(
                f"image {desired.name} is not present and pull=never forbids pulling it"
            )
        if not state["complete"]:
            unpacked = "" if state["unpacked"] else ", not unpacked"
            raise InvalidInput(
                f"image {desired.name} is incomplete for {platform} (missing "
                f"{len(state['missing'])} blobs{unpacked}) and pull=never forbids pulling it"
            )
        return None, before
    reason = None
    remote = None
    if desired.force:
        reason = "force=true"
    elif record is None:
        reason = "image is not present"
    elif not state["complete"]:
        reason = f"image is incomplete for {platform}" + (
            "" if state["unpacked"] else " or not unpacked"
        )
    elif desired.pull == "always":
        remote = resolve_remote(desired.name, desired.access)
        if remote["descriptor"]["digest"] != record["target"]["digest"]:
            reason = (
                f"the registry serves {remote['descriptor']['digest']}, "
                f"the local image is {record['target']['digest']}"
            )
    if reason is None:
        return None, before
    remote = remote or resolve_remote(desired.name, desired.access)
    descriptor = remote["descriptor"]
    after = {
        "name": desired.name,
        "digest": descriptor["digest"],
        "media_type": descriptor["mediaType"],
    }
    return Action(
        "pull", desired.name, reason, {"source": remote["host"], "resolved": remote}
    ), after


def _plan_archive(
    desired: DesiredImage,
    record: Optional[Dict[str, Any]],
    state: Optional[Dict[str, Any]],
    before: Optional[Dict[str, Any]],
) -> Tuple[Optional[Action], Optional[Dict[str, Any]]]:
    """The import action an archive source needs (None if none), and the image after it."""
    from ..images.archive_import import read_archive

    entries = read_archive(desired.archive_path, platform=desired.platform)
    entry = next(
        (e for e in entries if desired.name in [normalize_name(n) for n in e["names"]]), None
    )
    if entry is None:
        if len(entries) != 1:
            names = sorted(n for e in entries for n in e["names"])
            raise InvalidInput(
                f"archive {desired.archive_path} has no image named {desired.name} "
                f"(it has {', '.join(names) or 'unnamed images'})"
            )
        entry = entries[0]
    descriptor = entry["descriptor"]
    after = {
        "name": desired.name,
        "digest": descriptor["digest"],
        "media_type": descriptor["mediaType"],
    }
    if desired.force:
        reason = "force=true"
    elif record is None:
        reason = "image is not present"
    elif record["target"]["digest"] != descriptor["digest"]:
        reason = (
            f"the archive holds {descriptor['digest']}, "
            f"the local image is {record['target']['digest']}"
        )
    elif not state["complete"]:
        reason = "image is incomplete or not unpacked"
    else:
        return None, before
    return Action("import", desired.name, reason, {"archive": desired.archive_path}), after


def apply_image(
    conn: Connection, desired: DesiredImage, plan: Plan, progress: Optional[Progress] = None
) -> Dict[str, Any]:
    """Carry out the plan; returns what each action produced, keyed by its verb."""
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
            from ..images.archive_import import import_archive

            done["import"] = import_archive(
                conn,
                desired.archive_path,
                names=[desired.name],
                platform=desired.platform,
                snapshotter=desired.snapshotter,
                progress=progress,
            )
        elif action.kind == "tag":
            source = images.get_image(conn, desired.name)
            images.put_image(conn, action.target, source["target"])
    return done
