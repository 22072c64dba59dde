"""config.toml in its declared state: settings merged, typed options placed for the schema
the installed containerd reads, validated by that containerd, then replaced atomically.

``plan`` decides everything (check mode shows it); ``apply`` only writes the planned bytes.
What is observed (the file's bytes and mode, the installed containerd) is a plain
``ObservedConfig``, so the planner also runs on recorded data. ``restart_required`` is true
only when the meaning changed (a comment-only or formatting change does not need containerd
restarted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..common.atomic_file import atomic_write, file_mode, read_bytes
from ..common.defaults import DEFAULT_CONFIG_FILE
from ..common.errors import (
    ConfigParseError,
    ConfigRejected,
    ContainerdBinaryError,
    InvalidInput,
    UnsupportedSchema,
)
from ..config import placement
from ..config import schema as schemas
from ..config.binary import Containerd, ContainerdBinary, find_binary
from ..config.document import (
    check_values,
    dump,
    get_path,
    load,
    merge,
    plain,
    require_tomlkit,
    set_path,
)
from ..config.options import CONFIG_OPTIONS
from ..config.validate import validate_candidate, validate_options
from .plan import Action, Applied, Plan

FILE_MODE = 0o644


@dataclass
class DesiredConfig:
    path: str = DEFAULT_CONFIG_FILE
    settings: Dict[str, Any] = field(default_factory=dict)
    options: Dict[str, Any] = field(default_factory=dict)  # typed options, None = unmanaged
    config_version: Optional[int] = None
    containerd_binary: Optional[str] = None
    validate: bool = True
    backup: bool = False


def desired_from(values: Mapping[str, Any]) -> DesiredConfig:
    """The desired file from the config module's options (the module's parameters, or a
    node document's config section: one translation for both)."""
    return DesiredConfig(
        path=values["path"],
        settings=values["settings"],
        options={name: values[name] for name in CONFIG_OPTIONS.names()},
        config_version=values["config_version"],
        containerd_binary=values["containerd_binary"],
        validate=values["validate"],
        backup=values["backup"],
    )


@dataclass
class ObservedConfig:
    """The file as it is and the containerd that will read it (None: none was found)."""

    content: Optional[bytes]  # None: the file does not exist
    mode: Optional[int]
    containerd: Optional[Containerd]


@dataclass(frozen=True)
class ConfigOutcome:
    """``Plan.after``: the planned file and what containerd will read from it."""

    path: str
    text: str
    schema: int
    containerd_version: Optional[str]
    effective: Dict[str, Any]
    effective_source: str
    restart_required: bool
    backup: bool
    warnings: Tuple[str, ...] = ()


def observe(desired: DesiredConfig) -> ObservedConfig:
    """Read the file and find the containerd binary (none is fine with a config_version)."""
    try:
        containerd: Optional[Containerd] = ContainerdBinary(find_binary(desired.containerd_binary))
    except ContainerdBinaryError:
        if desired.containerd_binary or desired.config_version is None:
            raise
        containerd = None
    return ObservedConfig(read_bytes(desired.path), file_mode(desired.path), containerd)


def _check_request(desired: DesiredConfig) -> None:
    require_tomlkit()
    if not desired.path or not os.path.isabs(desired.path):
        raise InvalidInput(f"path: {desired.path!r} is not allowed; allowed: an absolute path")
    try:
        check_values(desired.settings)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _target_schema(desired: DesiredConfig, containerd: Optional[Containerd]) -> int:
    """The schema to write: config_version if given (and readable), else containerd's own."""
    if desired.config_version is None:
        if containerd is None:  # observe() raises instead when no version is given
            raise UnsupportedSchema("config_version is needed when no containerd binary is found")
        return schemas.schema_for_version(containerd.version)
    schema = desired.config_version
    if schema not in schemas.SCHEMAS:
        raise UnsupportedSchema(
            f"config_version: {schema} is not allowed; allowed: 2 (containerd 1.6/1.7), "
            f"3 (containerd 2.0-2.2). Version 4 (containerd 2.3+) is not written yet."
        )
    if containerd is not None and schema > schemas.max_schema_read(containerd.version):
        raise UnsupportedSchema(
            f"config_version: containerd {containerd.version_string} reads config versions up "
            f"to {schemas.max_schema_read(containerd.version)}, not {schema}"
        )
    return schema


def _check_version_line(settings: Mapping[str, Any], schema: int) -> None:
    if "version" in settings and settings["version"] != schema:
        raise InvalidInput(
            f"settings.version: {settings['version']!r} is not allowed; the version "
            f"line is decided by config_version / the installed containerd ({schema})"
        )


def _decode(content: Optional[bytes], path: str) -> Optional[str]:
    try:
        return content.decode("utf-8") if content is not None else None
    except UnicodeDecodeError:
        raise ConfigParseError(f"{path} is not UTF-8 text; it was left untouched") from None


class _Start:
    """How the document to edit came to be: the create/migrate actions and warnings."""

    def __init__(self) -> None:
        self.actions: List[Action] = []
        self.warnings: List[str] = []


def _fresh(path: str, containerd: Optional[Containerd], schema: int, start: _Start) -> Any:
    if containerd is not None and containerd.version[0] == (1 if schema == 2 else 2):
        text, origin = containerd.config_default(), "`containerd config default`"
    else:
        text, origin = f"version = {schema}\n", "a minimal document"
    start.actions.append(Action("create", path, f"file does not exist; starting from {origin}"))
    return load(text, "containerd config default")


def _migrated(
    path: str, containerd: Containerd, declared: int, schema: int, start: _Start
) -> Any:
    text = containerd.migrate(path)
    start.actions.append(
        Action(
            "migrate",
            path,
            f"version {declared} file converted to version {schema} with containerd "
            f"{containerd.version_string}'s `config migrate` (keys are never patched across "
            f"schemas; comments of the old file are not carried over)",
        )
    )
    start.warnings.append(
        f"{path} was migrated from config version {declared} to {schema}; "
        f"its comments are not kept by `containerd config migrate`"
    )
    return load(text, "containerd config migrate output")


def _cannot_convert(path: str, declared: int, schema: int) -> UnsupportedSchema:
    how = (
        " (set containerd_binary to a containerd 2.x)"
        if schema == 3
        else " (a file without a version line is version 1: convert it to version 2 by hand)"
    )
    return UnsupportedSchema(
        f"{path} is config version {declared} but version {schema} is wanted; converting "
        f"needs containerd 2.x's `config migrate`{how}; the file was left untouched"
    )


def _base(
    path: str, existing: Optional[str], containerd: Optional[Containerd], schema: int, start: _Start
) -> Any:
    """The document to edit: the file itself, its migration, or a fresh default."""
    if existing is None:
        return _fresh(path, containerd, schema, start)
    doc = load(existing, path)
    declared = schemas.document_schema(doc)
    if declared == schema:
        return doc
    if declared > schema:
        who = f"config_version {schema}"
        if containerd is not None:
            who = f"containerd {containerd.version_string}"
        raise UnsupportedSchema(
            f"{path} is config version {declared}, newer than version {schema} that {who} "
            f"reads; it was left untouched"
        )
    if schema == 3 and containerd is not None and containerd.can_migrate:
        return _migrated(path, containerd, declared, schema, start)
    raise _cannot_convert(path, declared, schema)


def _edit(
    doc: Any,
    settings: Mapping[str, Any],
    options: Mapping[str, Any],
    schema: int,
    version: Optional[schemas.Version],
) -> List[str]:
    """Merge settings, then place the typed options; the key paths that changed."""
    changed = [placement.describe(p) for p in merge(doc, settings)]
    for a in placement.assignments(options, schema, version):
        if a.only_if_missing and get_path(doc, a.path) is not None:
            continue
        if set_path(doc, a.path, a.value):
            changed.append(placement.describe(a.path))
    if schema == 3 and options.get("snapshotter"):
        unpack = placement.unpack_config_for(doc, options["snapshotter"])
        if unpack is not None:
            unpack_path = (*schemas.V3_TRANSFER, "unpack_config")
            set_path(doc, unpack_path, unpack)
            changed.append(placement.describe(unpack_path))
    _check_runtimes(doc, options, schema)
    return changed


def _check_runtimes(doc: Any, options: Mapping[str, Any], schema: int) -> None:
    runtimes = get_path(doc, schemas.runtimes_path(schema)) or {}
    for name in options.get("runtimes") or {}:
        if not (runtimes.get(name) or {}).get("runtime_type"):
            raise InvalidInput(
                f"runtimes.{name}.runtime_type: a runtime the file does not have yet needs a "
                f"runtime_type, such as io.containerd.runc.v2"
            )
    default = options.get("default_runtime")
    if default is not None and default not in runtimes and default != "runc":
        raise InvalidInput(
            f"default_runtime: {default!r} is not allowed; allowed: a configured runtime "
            f"({', '.join(sorted({'runc', *runtimes}))}), or add it under runtimes"
        )


def _file_actions(
    path: str,
    existing: Optional[str],
    after_text: str,
    changed_paths: List[str],
    mode: Optional[int],
    planned: List[Action],
) -> List[Action]:
    """update (what changed) or set_mode, unless create/migrate already say it."""
    if existing != after_text:
        if existing is None or planned:
            return []
        reason = (
            "changed: " + ", ".join(dict.fromkeys(changed_paths))
            if changed_paths
            else "file differs from its normalised form"
        )
        return [Action("update", path, reason)]
    if mode is not None and mode != FILE_MODE:
        return [Action("set_mode", path, f"mode {mode:04o} should be {FILE_MODE:04o}")]
    return []


def _effective(
    desired: DesiredConfig,
    containerd: Optional[Containerd],
    doc: Any,
    after_text: str,
    schema: int,
    text_changed: bool,
    warnings: List[str],
) -> Tuple[Dict[str, Any], str]:
    """Each typed option as containerd reads the result (its dump), else as the file says."""
    version = containerd.version if containerd else None
    if containerd is None or not desired.validate:
        if desired.validate:
            warnings.append("no containerd binary: the candidate was not loaded by containerd")
        return placement.effective(doc, schema, version), "file"
    try:
        _, dumped = validate_candidate(containerd, after_text, desired.path)
    except ConfigRejected as exc:
        if text_changed:
            raise
        warnings.append(f"the existing file is not accepted by containerd: {exc}")
        return placement.effective(doc, schema, version), "file"
    dump_schema = schemas.max_schema_read(containerd.version)  # what the dump is in
    if dump_schema not in schemas.SCHEMAS:
        return placement.effective(doc, schema, version), "file"
    effective = placement.effective(load(dumped, "config dump"), dump_schema, version)
    if isinstance(effective.get("imports"), list):
        effective["imports"] = [i for i in effective["imports"] if i != desired.path]
    return effective, "containerd config dump"


def plan(desired: DesiredConfig, observed: Optional[ObservedConfig] = None) -> Plan:
    """What a real run does to the file; ``observed`` defaults to this machine's."""
    _check_request(desired)
    seen = observed if observed is not None else observe(desired)
    containerd = seen.containerd
    version = containerd.version if containerd else None
    schema = _target_schema(desired, containerd)
    _check_version_line(desired.settings, schema)
    options = validate_options(desired.options, version)
    path = desired.path
    existing = _decode(seen.content, path)
    start = _Start()
    try:
        doc = _base(path, existing, containerd, schema, start)
    except ConfigParseError as exc:
        raise ConfigParseError(f"{exc}. The file was left untouched.") from None
    changed_paths = _edit(doc, desired.settings, options, schema, version)
    after_text = dump(doc)
    schemas.check_schema_for(load(after_text, "the candidate configuration"), schema, version)
    text_changed = existing != after_text
    actions = start.actions + _file_actions(
        path, existing, after_text, changed_paths, seen.mode, start.actions
    )
    effective, source = _effective(
        desired, containerd, doc, after_text, schema, text_changed, start.warnings
    )
    # the meaning changed, not just comments or layout (a new file always counts)
    restart = text_changed and (existing is None or plain(load(existing)) != plain(doc))
    outcome = ConfigOutcome(
        path=path,
        text=after_text,
        schema=schema,
        containerd_version=containerd.version_string if containerd else None,
        effective=effective,
        effective_source=source,
        restart_required=restart,
        backup=desired.backup,
        warnings=tuple(start.warnings),
    )
    noop = "" if actions else f"{path} already holds the declared settings and options"
    return Plan(actions, before=existing, after=outcome, noop_reason=noop, subject=path)


def apply(planned: Plan) -> Applied:
    """Write the planned file (atomic, mode 0644, owner root); details: restart_required and
    backup_file (the previous file's copy, if one was made)."""
    outcome: ConfigOutcome = planned.after
    if not planned.changed:
        return Applied(planned, after=outcome.text, details={"restart_required": False,
                                                              "backup_file": None})
    backup_file = atomic_write(
        outcome.path,
        outcome.text.encode("utf-8"),
        mode=FILE_MODE,
        make_backup=outcome.backup and planned.before is not None,
    )
    details = {"restart_required": outcome.restart_required, "backup_file": backup_file}
    return Applied(planned, after=outcome.text, details=details)
