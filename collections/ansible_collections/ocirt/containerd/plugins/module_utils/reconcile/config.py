"""config.toml in its declared state: settings merged, typed options placed for the schema
the installed containerd reads, validated by that containerd, then replaced atomically.

plan_config() decides everything (check mode shows it); apply_config() only writes the
planned bytes. ``restart_required`` is true only when the meaning changed (a comment-only or
formatting change does not need containerd restarted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

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
from ..config.binary import ContainerdBinary, find_binary
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
from ..config.validate import (
    check_schema_for,
    document_schema,
    validate_candidate,
    validate_options,
)
from .plan import Action, Plan

DEFAULT_PATH = DEFAULT_CONFIG_FILE
FILE_MODE = 0o644
MASK = "********"
#: keys whose values are secrets wherever they appear (CRI registry auths of schema 2)
SECRET_KEYS = frozenset(
    {"password", "auth", "identitytoken", "identity_token", "token", "registry_token"}
)
SECRET_TABLES = frozenset({"headers", "header"})


@dataclass
class DesiredConfig:
    path: str = DEFAULT_PATH
    settings: Dict[str, Any] = field(default_factory=dict)
    options: Dict[str, Any] = field(default_factory=dict)  # typed options, None = unmanaged
    config_version: Optional[int] = None
    containerd_binary: Optional[str] = None
    validate: bool = True
    backup: bool = False


@dataclass
class ConfigPlan:
    plan: Plan
    path: str
    before_text: Optional[str]
    after_text: str
    restart_required: bool
    schema: int
    containerd_version: Optional[str]
    effective: Dict[str, Any]
    effective_source: str
    backup: bool = False
    warnings: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.plan.changed

    def diff(self) -> Dict[str, Any]:
        """Ansible's diff: the file before and after (secrets masked), shown unified."""
        return {
            "before": mask_config_text(self.before_text or ""),
            "after": mask_config_text(self.after_text)
            if self.changed
            else mask_config_text(self.before_text or ""),
            "before_header": self.path if self.before_text is not None else "/dev/null",
            "after_header": self.path,
        }

    def result(self, backup_file: Optional[str] = None) -> Dict[str, Any]:
        return {
            "changed": self.changed,
            "path": self.path,
            "backup_file": backup_file,
            "restart_required": self.restart_required if self.changed else False,
            "config_version": self.schema,
            "containerd_version": self.containerd_version,
            "effective": self.effective,
            "effective_source": self.effective_source,
            "actions": self.plan.summaries(),
            "warnings": list(self.warnings),
        }


def _mask(node: Any, in_secret_table: bool = False) -> None:
    if not hasattr(node, "items"):
        return
    for key, value in list(node.items()):
        if hasattr(value, "items"):
            _mask(value, in_secret_table or key in SECRET_TABLES)
        elif (in_secret_table or key.lower() in SECRET_KEYS) and plain(value) not in ("", []):
            node[key] = [MASK for _ in value] if isinstance(plain(value), list) else MASK


def mask_config_text(text: str) -> str:
    """config.toml text with registry secrets (headers, auth, passwords) masked."""
    if not text or not any(w in text for w in (*SECRET_KEYS, *SECRET_TABLES)):
        return text
    try:
        doc = load(text)
    except ConfigParseError:
        return "# (not valid TOML; not shown because it may hold secrets)\n"
    _mask(doc)
    return dump(doc)


def _binary(desired: DesiredConfig) -> Optional[ContainerdBinary]:
    try:
        return ContainerdBinary(find_binary(desired.containerd_binary))
    except ContainerdBinaryError:
        if desired.containerd_binary or desired.config_version is None:
            raise
        return None


def _target_schema(desired: DesiredConfig, binary: Optional[ContainerdBinary]) -> int:
    if desired.config_version is not None:
        schema = desired.config_version
        if schema not in placement.SCHEMAS:
            raise UnsupportedSchema(
                f"config_version: {schema} is not allowed; allowed: 2 (containerd 1.6/1.7), "
                f"3 (containerd 2.0-2.2). Version 4 (containerd 2.3+) is not written yet."
            )
        if binary is not None and schema > placement.max_schema_read(binary.version):
            raise UnsupportedSchema(
                f"config_version: containerd {binary.version_string} reads config versions up "
                f"to {placement.max_schema_read(binary.version)}, not {schema}"
            )
        return schema
    if binary is None:  # _binary() raises instead when no version is given
        raise UnsupportedSchema("config_version is needed when no containerd binary is found")
    return placement.schema_for_version(binary.version)


def _base(
    desired: DesiredConfig,
    binary: Optional[ContainerdBinary],
    schema: int,
    existing: Optional[str],
    actions: List[Action],
    warnings: List[str],
) -> Any:
    """The document to edit: the file itself, its migration, or a fresh default."""
    path = desired.path
    if existing is None:
        if binary is not None and binary.version[0] == (1 if schema == 2 else 2):
            text, origin = binary.config_default(), "`containerd config default`"
        else:
            text, origin = f"version = {schema}\n", "a minimal document"
        actions.append(Action("create", path, f"file does not exist; starting from {origin}"))
        return load(text, "containerd config default")
    doc = load(existing, path)
    declared = document_schema(doc)
    if declared == schema:
        return doc
    if declared > schema:
        who = f"containerd {binary.version_string}" if binary else f"config_version {schema}"
        raise UnsupportedSchema(
            f"{path} is config version {declared}, newer than version {schema} that {who} "
            f"reads; it was left untouched"
        )
    if schema == 3 and binary is not None and binary.can_migrate:
        text = binary.migrate(path)
        actions.append(
            Action(
                "migrate",
                path,
                f"version {declared} file converted to version {schema} with containerd "
                f"{binary.version_string}'s `config migrate` (keys are never patched across "
                f"schemas; comments of the old file are not carried over)",
            )
        )
        warnings.append(
            f"{path} was migrated from config version {declared} to {schema}; "
            f"its comments are not kept by `containerd config migrate`"
        )
        return load(text, "containerd config migrate output")
    raise UnsupportedSchema(
        f"{path} is config version {declared} but version {schema} is wanted; converting "
        f"needs containerd 2.x's `config migrate`"
        + (
            " (set containerd_binary to a containerd 2.x)"
            if schema == 3
            else " (a file without a version line is version 1: convert it to version 2 by hand)"
        )
        + "; the file was left untouched"
    )


def plan_config(desired: DesiredConfig) -> ConfigPlan:
    require_tomlkit()
    path = desired.path
    if not path or not os.path.isabs(path):
        raise InvalidInput(f"path: {path!r} is not allowed; allowed: an absolute path")
    try:
        check_values(desired.settings)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    binary = _binary(desired)
    version = binary.version if binary else None
    schema = _target_schema(desired, binary)
    if "version" in desired.settings and desired.settings["version"] != schema:
        raise InvalidInput(
            f"settings.version: {desired.settings['version']!r} is not allowed; the version "
            f"line is decided by config_version / the installed containerd ({schema})"
        )
    options = validate_options(desired.options, version)

    raw = read_bytes(path)
    try:
        existing = raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        raise ConfigParseError(f"{path} is not UTF-8 text; it was left untouched") from None
    actions: List[Action] = []
    warnings: List[str] = []
    try:
        doc = _base(desired, binary, schema, existing, actions, warnings)
    except ConfigParseError as exc:
        raise ConfigParseError(f"{exc}. The file was left untouched.") from None

    changed_paths = [placement.describe(p) for p in merge(doc, desired.settings)]
    for a in placement.assignments(options, schema, version):
        if a.only_if_missing and get_path(doc, a.path) is not None:
            continue
        if set_path(doc, a.path, a.value):
            changed_paths.append(placement.describe(a.path))
    if schema == 3 and options.get("snapshotter"):
        unpack = placement.unpack_config_for(doc, options["snapshotter"])
        if unpack is not None:
            path_ = (*placement.V3_TRANSFER, "unpack_config")
            set_path(doc, path_, unpack)
            changed_paths.append(placement.describe(path_))
    _check_runtimes(doc, options, schema)

    after_text = dump(doc)
    check_schema_for(load(after_text, "the candidate configuration"), schema, version)
    text_changed = existing != after_text
    if text_changed and existing is not None and not actions:
        reason = (
            ("changed: " + ", ".join(dict.fromkeys(changed_paths)))
            if changed_paths
            else "file differs from its normalised form"
        )
        actions.append(Action("update", path, reason))
    mode = file_mode(path)
    if not text_changed and mode is not None and mode != FILE_MODE:
        actions.append(Action("set_mode", path, f"mode {mode:04o} should be {FILE_MODE:04o}"))

    effective = placement.effective(doc, schema, version)
    source = "file"
    if binary is not None and desired.validate:
        try:
            _, dumped = validate_candidate(binary, after_text, path)
            dump_schema = placement.max_schema_read(binary.version)  # what the dump is in
            if dump_schema in placement.SCHEMAS:
                effective = placement.effective(load(dumped, "config dump"), dump_schema, version)
                if isinstance(effective.get("imports"), list):
                    effective["imports"] = [i for i in effective["imports"] if i != path]
                source = "containerd config dump"
        except ConfigRejected as exc:
            if text_changed:
                raise
            warnings.append(f"the existing file is not accepted by containerd: {exc}")
    elif desired.validate:
        warnings.append("no containerd binary: the candidate was not loaded by containerd")

    # the meaning changed, not just comments or layout (a new file always counts)
    restart = text_changed and (existing is None or plain(load(existing)) != plain(doc))
    plan = Plan(actions, before=existing, after=after_text)
    return ConfigPlan(
        plan=plan,
        path=path,
        before_text=existing,
        after_text=after_text,
        restart_required=restart,
        schema=schema,
        containerd_version=binary.version_string if binary else None,
        effective=effective,
        effective_source=source,
        backup=desired.backup,
        warnings=warnings,
    )


def _check_runtimes(doc: Any, options: Mapping[str, Any], schema: int) -> None:
    runtimes = get_path(doc, placement.runtimes_path(schema)) or {}
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


def apply_config(plan: ConfigPlan) -> Optional[str]:
    """Write the planned file (atomic, mode 0644, owner root); the backup's path, if any."""
    if not plan.changed:
        return None
    return atomic_write(
        plan.path,
        plan.after_text.encode("utf-8"),
        mode=FILE_MODE,
        make_backup=plan.backup and plan.before_text is not None,
    )
