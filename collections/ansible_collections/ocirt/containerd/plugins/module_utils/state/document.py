"""A state document validated as a whole into desired states, before anything is touched.

``check`` walks the raw document (what JSON or YAML gave) and returns every problem at
once, each with its path (``containers[3].memory: the minimum is 6m``), together with the
document built from it when there is none. Entries are checked against their tables
(``entries.py``: unknown keys named with the allowed ones, types, choices), then built the
way their modules build them (``containers.from_item``, ``DesiredImage.validate``), so a
value the module would refuse is refused here with the same words, and then against each
other (names listed twice, a container on an image or in a namespace declared absent).
As Ansible does for ``str`` options, a number given for a string is taken as its text
(``user: 1000``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..cni.attach import requests as network_requests
from ..common.errors import InvalidInput
from ..common.options import Option, OptionTable
from ..containers.options import ContainerOptions, canonical
from ..images.pull import RegistryAccess
from ..pods.desired import DesiredPod, from_options
from ..reconcile import containers
from ..reconcile.container import DesiredContainer
from ..reconcile.image import DesiredImage
from ..reconcile.namespace import DesiredNamespace
from ..reconcile.network import DesiredNetwork
from .entries import (
    CONTAINER_CONTROL,
    CONTAINER_EXTRA,
    DOCUMENT,
    REGISTRY_ACCESS,
    SECTIONS,
)

Problems = List[str]
CONTROL_KEYS = tuple(o.name for o in CONTAINER_CONTROL)


@dataclass
class ImageEntry:
    namespace: str
    desired: DesiredImage
    path: str = ""  # where it is in the document: images[2]


@dataclass
class ContainerEntry:
    namespace: str
    desired: DesiredContainer
    path: str = ""


@dataclass
class StateDocument:
    """What a document declares, validated: every entry with its containerd namespace."""

    namespace: str
    namespaces: List[DesiredNamespace] = field(default_factory=list)
    networks: List[DesiredNetwork] = field(default_factory=list)
    images: List[ImageEntry] = field(default_factory=list)
    containers: List[ContainerEntry] = field(default_factory=list)
    pods: List[Tuple[str, DesiredPod]] = field(default_factory=list)  # (path, pod)
    group: str = "default"
    prune: bool = False

    def container_namespaces(self) -> List[str]:
        """The namespaces whose containers the document decides, in first-use order: those
        of its containers, and with prune the default one and every declared one."""
        found = [e.namespace for e in self.containers]
        if self.prune:
            found += [self.namespace] + [n.name for n in self.namespaces if n.state == "present"]
        return list(dict.fromkeys(found))


# -- one key ----------------------------------------------------------------------------------


def located(path: str, message: str) -> str:
    """``message`` about the value at ``path``, starting with the path once."""
    leaf = path.rsplit(".", 1)[-1]
    if message.startswith((leaf + ".", leaf + "[")):
        return f"{path.rsplit('.', 1)[0]}.{message}" if "." in path else message
    for prefix in (f"{leaf}: ", f"{leaf} "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
            break
    return f"{path}: {message}"


def _coerced(option: Option, value: Any) -> Any:
    """A number given for a string option is its text, as Ansible's ``type: str`` makes it."""
    if option.type in ("str", "path") and isinstance(value, (int, float)):
        if not isinstance(value, bool):
            return str(value)
    return value


def _aliases(table: OptionTable) -> Dict[str, str]:
    return {alias: o.name for o in table for alias in o.aliases}


def _unknown(table: OptionTable, raw: Mapping[str, Any], path: str) -> Problems:
    unknown = sorted(set(raw) - set(table.names()) - set(_aliases(table)), key=str)
    if not unknown:
        return []
    listed = ", ".join(str(k) for k in unknown)
    return [f"{path}: unknown key(s) {listed}; allowed: {', '.join(table.names())}"]


def checked_entry(
    table: OptionTable, raw: Any, path: str
) -> Tuple[Optional[Dict[str, Any]], Problems]:
    """The entry's values by option name (aliases resolved, numbers for strings as text;
    None if it is no mapping) and the problems of its keys."""
    if not isinstance(raw, dict):
        return None, [f"{path}: expected a mapping of {table.domain} keys, got {raw!r}"]
    problems = _unknown(table, raw, path)
    aliases = _aliases(table)
    values: Dict[str, Any] = {
        aliases.get(str(k), str(k)): v for k, v in raw.items() if k in table or k in aliases
    }
    for option in table:
        value = values[option.name] = _coerced(option, values.get(option.name))
        try:
            option.check(value)
        except InvalidInput as exc:
            problems.append(located(f"{path}.{option.name}", str(exc)))
    return values, problems


# -- the entries ------------------------------------------------------------------------------


def _given(values: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _access(values: Mapping[str, Any], base: RegistryAccess) -> RegistryAccess:
    given = {o.name: values[o.name] for o in REGISTRY_ACCESS if values.get(o.name)}
    return replace(base, **given) if given else base


def _namespace(values: Mapping[str, Any]) -> DesiredNamespace:
    labels = {str(k): str(v) for k, v in (values.get("labels") or {}).items()}
    desired = DesiredNamespace(
        name=values["name"],
        state=values.get("state") or "present",
        labels=labels,
        purge_labels=bool(values.get("purge_labels")),
    )
    desired.validate()
    return desired


def _network(values: Mapping[str, Any]) -> DesiredNetwork:
    """As the network module builds it: an option not given keeps its default (the
    reconciler then keeps what the network has)."""
    desired = DesiredNetwork(**_given(values))
    desired.validate()
    return desired


def _image(values: Mapping[str, Any], access: RegistryAccess) -> DesiredImage:
    desired = DesiredImage(
        name=values["name"],
        state=values.get("state") or "present",
        source=values.get("source"),
        pull=values.get("pull") or "missing",
        archive_path=values.get("archive_path"),
        platform=values.get("platform"),
        tags=list(values.get("tags") or []),
        force=bool(values.get("force")),
        snapshotter=(values.get("snapshotter") or "overlayfs")
        if values.get("unpack") is not False
        else None,
        wait_for_gc=bool(values.get("wait_for_gc")),
        access=_access(values, access),
    )
    desired.validate()
    return desired


def _option_problems(item: Mapping[str, Any], path: str) -> Problems:
    """Each container option through its own parser (so every bad one is named, not only
    the first): with a stand-in image for the options other than ``image``."""
    problems = []
    for key, value in _without(item, CONTROL_KEYS).items():
        trial = {"image": value} if key == "image" else {"image": "stand-in", key: value}
        try:
            ContainerOptions.from_dict(trial)
        except InvalidInput as exc:
            problems.append(located(f"{path}.{key}", str(exc)))
    return problems


def _without(values: Mapping[str, Any], keys: Tuple[str, ...]) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if k not in keys}


def _container(
    values: Mapping[str, Any], path: str, group: str, access: RegistryAccess
) -> Tuple[Optional[DesiredContainer], Problems]:
    item = _without(_given(values), CONTAINER_EXTRA)
    if item.get("state", "started") != "absent":
        if not item.get("image"):
            return None, [f"{path}.image: required unless state is absent"]
        problems = _option_problems(item, path)
        if problems:
            return None, problems
    pull = values.get("pull") or "missing"
    try:
        return containers.from_item(item, group, pull, _access(values, access)), []
    except InvalidInput as exc:  # across options: memory_swap without memory
        message = str(exc).replace(f"container {item['name']}: ", "", 1)
        return None, [f"{path}: {message}"]


# -- the document -----------------------------------------------------------------------------


@dataclass
class _Builder:
    """The document being built, and the problems found so far."""

    document: StateDocument
    access: RegistryAccess
    problems: Problems = field(default_factory=list)

    def section(self, key: str, raw: Any) -> None:
        if not isinstance(raw, list):
            return  # the document's own check named it
        for i, item in enumerate(raw):
            path = f"{key}[{i}]"
            values, problems = checked_entry(SECTIONS[key], item, path)
            self.problems += problems
            if values is not None and not problems:
                self._add(key, values, path)
            elif values is not None and key == "containers":  # name the other bad values too
                named = {p.split(":", 1)[0] for p in problems}
                rest = {k: v for k, v in _given(values).items() if f"{path}.{k}" not in named}
                self.problems += _option_problems(_without(rest, CONTAINER_EXTRA), path)

    def _add(self, key: str, values: Dict[str, Any], path: str) -> None:
        doc = self.document
        ns = values.get("namespace") or doc.namespace
        try:
            if key == "namespaces":
                doc.namespaces.append(_namespace(values))
            elif key == "networks":
                doc.networks.append(_network(values))
            elif key == "images":
                doc.images.append(ImageEntry(ns, _image(values, self.access), path))
            elif key == "pods":
                doc.pods.append((path, from_options(values, _access(values, self.access))))
            else:
                desired, problems = _container(values, path, doc.group, self.access)
                self.problems += problems
                if desired is not None:
                    doc.containers.append(ContainerEntry(ns, desired, path))
        except InvalidInput as exc:
            self.problems.append(located(path, str(exc)))


def _top(raw: Any) -> Tuple[Optional[Dict[str, Any]], Problems]:
    if not isinstance(raw, dict):
        kind = "nothing" if raw is None else type(raw).__name__
        return None, [
            f"document: expected a mapping (namespace, namespaces, networks, images, "
            f"containers, pods, group, prune), got {kind}"
        ]
    values, problems = checked_entry(DOCUMENT, raw, "document")
    problems = [p.replace("document.", "", 1) for p in problems]
    return (None if problems else values), problems


def check(
    raw: Any, namespace: str = "default", access: Optional[RegistryAccess] = None
) -> Tuple[Optional[StateDocument], Problems]:
    """The document, or every problem in it (``namespace``: the front end's default)."""
    values, problems = _top(raw)
    if values is None and not isinstance(raw, dict):
        return None, problems
    top = values or {}
    document = StateDocument(
        namespace=top.get("namespace") or namespace,
        group=top.get("group") or "default",
        prune=bool(top.get("prune")),
    )
    builder = _Builder(document, access or RegistryAccess(), problems)
    for key in SECTIONS:
        builder.section(key, raw.get(key))
    builder.problems += _conflicts(document)
    return (None if builder.problems else document), builder.problems


def parse(
    raw: Any, namespace: str = "default", access: Optional[RegistryAccess] = None
) -> StateDocument:
    """The document; InvalidInput listing every problem, each on its own line, if any."""
    document, problems = check(raw, namespace, access)
    if document is None:
        count = f"{len(problems)} error{'s' if len(problems) != 1 else ''}"
        raise InvalidInput(
            f"the state document has {count}, nothing was changed:\n  " + "\n  ".join(problems)
        )
    return document


# -- across entries ---------------------------------------------------------------------------


def _twice(kind: str, keys: List[Tuple[str, str]]) -> Problems:
    seen = set()
    problems = []
    for ns, name in keys:
        if (ns, name) in seen:
            problems.append(f"{kind}: {name} is listed twice in namespace {ns}")
        seen.add((ns, name))
    return problems


def _conflicts(doc: StateDocument) -> Problems:
    problems = _twice("namespaces", [("", n.name) for n in doc.namespaces])
    problems += _twice("networks", [("", n.name) for n in doc.networks])
    problems += _twice("pods", [(p.pod_namespace, p.name) for _, p in doc.pods])
    problems += _twice("images", [(e.namespace, e.desired.name) for e in doc.images])
    problems += _twice("containers", [(e.namespace, e.desired.name) for e in doc.containers])
    gone_ns = {n.name for n in doc.namespaces if n.state == "absent"}
    gone_images = {(e.namespace, e.desired.name) for e in doc.images if e.desired.state == "absent"}
    gone_networks = {n.name for n in doc.networks if n.state == "absent"}
    for entry in doc.containers:
        desired = entry.desired
        if entry.namespace in gone_ns:
            problems.append(f"{entry.path}: namespace {entry.namespace} is declared absent")
        for wanted in network_requests(canonical(desired.options)) if desired.options else []:
            if wanted.name in gone_networks:
                problems.append(f"{entry.path}.networks: {wanted.name} is declared absent")
        if desired.options and (entry.namespace, desired.options.image) in gone_images:
            problems.append(
                f"{entry.path}.image: {desired.options.image} is declared absent in images"
            )
    return problems
