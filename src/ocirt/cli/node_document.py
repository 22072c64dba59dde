"""The node document: containerd itself on a host, as ``ocirt node diff|apply`` takes it.

    {"install": {...}, "config": {...}, "registries": [{...}, ...], "service": {...}}

Every section is optional and takes exactly the options of the module of its name
(``install``: INSTALL_OPTIONS; ``config``: the file options and CONFIG_OPTIONS; each
``registries`` item: HOST_OPTIONS and ``config_path``; ``service``: SERVICE_OPTIONS), with
the modules' defaults. The sections are planned and applied by the modules' own
reconcilers (``reconcile/install``, ``config``, ``registry``, ``service``) in that order:
containerd installed, its config.toml, its registry hosts, then the service. ``apply``
plans each section just before applying it, so a later section sees what an earlier one did
(config.toml is made by the containerd the install section put there); ``diff`` plans every
section as the host is now (a config section then needs containerd already installed).

The restart, as the role's handler does it: when the install or the config section of the
same document changes something that needs containerd restarted (their
``restart_required``), a ``service`` section that wants containerd ``started`` is planned as
``restarted``, so the plan says so before anything is written and the apply does it once.

The result is the ``ocirt.state/v1`` shape of ``state/outcome.py`` (kinds ``install``,
``config``, ``registry``, ``service``), so front ends that read ``ocirt diff --json`` read
this too. config.toml and hosts.toml are shown with their secrets masked, line by line.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_ADDRESS,
    DEFAULT_CONFIG_FILE,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
    OcirtError,
    describe_os_error,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.options import (
    Option,
    OptionTable,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.masking import (
    mask_config_text,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.config.options import (
    CONFIG_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.options import (
    ENDPOINT_OPTIONS,
    HOST_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.reader import (
    DEFAULT_CONFIG_PATH,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.writer import (
    Endpoint,
    HostsConfig,
    Mirror,
    mask_secrets,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.install.fetch import WorkDir
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    config,
    install,
    registry,
    service,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import Plan
from ansible_collections.ocirt.containerd.plugins.module_utils.state import outcome
from ansible_collections.ocirt.containerd.plugins.module_utils.state.document import (
    checked_entry,
)

#: the config module's options besides the typed ones (its FILE_SPEC)
CONFIG_FILE_OPTIONS = (
    Option("path", "path", "Path of the configuration file.", DEFAULT_CONFIG_FILE),
    Option("settings", "dict", "A mapping deep-merged into the file.", {}),
    Option("config_version", "int", "Config schema to write.", choices=(2, 3)),
    Option("containerd_binary", "path", "The containerd executable."),
    Option("validate", "bool", "Load the candidate in containerd first.", True),
    Option("backup", "bool", "Keep a timestamped copy of the previous file.", False),
)
CONFIG_SECTION = OptionTable("config", [*CONFIG_FILE_OPTIONS, *CONFIG_OPTIONS])
REGISTRY_ITEM = OptionTable(
    "registry",
    [
        Option("config_path", "path", "The registry hosts directory.", DEFAULT_CONFIG_PATH),
        *HOST_OPTIONS,
    ],
)
SECTIONS: Dict[str, OptionTable] = {
    "install": install.INSTALL_OPTIONS,
    "config": CONFIG_SECTION,
    "registries": REGISTRY_ITEM,
    "service": service.SERVICE_OPTIONS,
}
RESTART_REASON = "restart_required: {what} changed"


def _filled(table: OptionTable, values: Mapping[str, Any]) -> Dict[str, Any]:
    """The values with every option not given at its default, suboptions too (as Ansible's
    argument_spec fills a module's parameters)."""
    filled: Dict[str, Any] = {}
    for option in table:
        value = values.get(option.name)
        value = option.default if value is None else value
        sub = option.suboptions
        if sub is not None and isinstance(value, dict):
            value = _filled(sub, value)
        elif sub is not None and isinstance(value, list):
            value = [_filled(sub, v) if isinstance(v, dict) else v for v in value]
        filled[option.name] = value
    return filled


def _section(key: str, raw: Any, path: str) -> Dict[str, Any]:
    values, problems = checked_entry(SECTIONS[key], raw, path)
    if problems or values is None:
        raise InvalidInput(f"the node document: {'; '.join(problems)}")
    return _filled(SECTIONS[key], {k: v for k, v in values.items() if v is not None})


@dataclass
class NodeDocument:
    """The sections given, each with every option filled in (None: no such section)."""

    install: Optional[Dict[str, Any]] = None
    config: Optional[Dict[str, Any]] = None
    registries: List[Dict[str, Any]] = field(default_factory=list)
    service: Optional[Dict[str, Any]] = None


def parse(raw: Any) -> NodeDocument:
    """The document, or InvalidInput naming the section, the option and what it allows."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"the node document: expected a mapping of {', '.join(SECTIONS)}, got {raw!r}"
        )
    unknown = sorted(set(raw) - set(SECTIONS), key=str)
    if unknown:
        raise InvalidInput(
            f"the node document: unknown section(s) {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(SECTIONS)}"
        )
    items = raw.get("registries") or []
    if not isinstance(items, list):
        raise InvalidInput(f"registries: expected a list of registry hosts, got {items!r}")
    return NodeDocument(
        install=_section("install", raw["install"], "install") if "install" in raw else None,
        config=_section("config", raw["config"], "config") if "config" in raw else None,
        registries=[_section("registries", r, f"registries[{i}]") for i, r in enumerate(items)],
        service=_section("service", raw["service"], "service") if "service" in raw else None,
    )


# -- the modules' parameters as their reconcilers take them -------------------------------------


def _endpoint(values: Mapping[str, Any]) -> Dict[str, Any]:
    settings = {name: values.get(name) for name in ENDPOINT_OPTIONS.names()}
    header = values.get("header") or {}
    settings["header"] = {
        k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in header.items()
    }
    return settings


def desired_hosts(values: Mapping[str, Any]) -> registry.DesiredHosts:
    hosts = HostsConfig(
        host=values["host"],
        server=values["server"],
        endpoint=Endpoint(**_endpoint(values)),
        mirrors=[Mirror(url=m["url"], **_endpoint(m)) for m in values["mirrors"]],
    )
    return registry.DesiredHosts(hosts, values["config_path"], values["state"])


# -- plan, apply, report ------------------------------------------------------------------------


@dataclass
class Section:
    """One planned section: its entry in the report and how to carry it out."""

    kind: str  # install, config, registry, service
    name: str
    path: str  # install, config, registries[2], service
    plan: Plan
    carry_out: Callable[[], Any]
    shown: Tuple[Any, Any] = (None, None)  # before/after as a person may see them
    restart_required: bool = False


def _lines(text: Optional[str], mask: Callable[[str], str]) -> Optional[List[str]]:
    return mask(text).splitlines() if text is not None else None


def _install(values: Mapping[str, Any], workdir: WorkDir, check: bool) -> Section:
    plan = install.plan(install.DesiredInstall.from_options(values), workdir, check)
    needed = install.outcome(plan)["restart_required"]
    return Section(
        "install",
        plan.subject,
        "install",
        plan,
        lambda: install.apply(plan),
        (plan.before, plan.after),
        needed,
    )


def _config(values: Mapping[str, Any]) -> Section:
    plan = config.plan(config.desired_from(values))
    after: config.ConfigOutcome = plan.after
    shown = (_lines(plan.before, mask_config_text), _lines(after.text, mask_config_text))
    needed = plan.changed and after.restart_required
    return Section("config", after.path, "config", plan, lambda: config.apply(plan), shown, needed)


def _registry(values: Mapping[str, Any], path: str) -> Section:
    plan = registry.plan(desired_hosts(values))
    after: registry.HostsOutcome = plan.after
    shown = (_lines(plan.before, mask_secrets), _lines(after.text, mask_secrets))
    return Section("registry", values["host"], path, plan, lambda: registry.apply(plan), shown)


def _service(values: Mapping[str, Any], address: str, restart: List[str]) -> Section:
    wanted = dict(values)
    if restart and wanted["state"] == "started":
        wanted["state"] = "restarted"
    desired = service.DesiredService.from_options(wanted, address)
    plan = service.plan(desired)
    for action in plan.actions:
        if action.kind == "restart" and restart and values["state"] == "started":
            action.reason = RESTART_REASON.format(what=" and ".join(restart))
    return Section(
        "service",
        plan.subject,
        "service",
        plan,
        lambda: service.apply(desired, plan),
        (plan.before, plan.after),
    )


def _entry(section: Section) -> outcome.EntryOutcome:
    plan = section.plan
    actions = plan.all_actions()
    return {
        "kind": section.kind,
        "name": section.name,
        "namespace": "",
        "path": section.path,
        "declared": True,
        "changed": plan.changed,
        "change": outcome.change_of(Plan(actions)),
        "reason": actions[0].reason if actions else plan.noop_reason,
        "actions": [a.summary() for a in actions],
        "before": section.shown[0] if plan.changed else None,
        "after": section.shown[1] if plan.changed else None,
    }


def _text_lines(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(x, str) for x in value))


def diff_lines(entry: outcome.EntryOutcome, default_namespace: str = "") -> List[str]:
    """An entry's before/after as a unified diff: a file's lines as they are (config.toml,
    hosts.toml), anything else as ``outcome.diff_lines`` shows it."""
    before, after = entry["before"], entry["after"]
    if not (_text_lines(before) and _text_lines(after)):
        return outcome.diff_lines(entry, default_namespace)
    name = outcome.label(entry, default_namespace)
    return list(
        difflib.unified_diff(
            before or [], after or [], f"{name} (before)", f"{name} (after)", lineterm=""
        )
    )


def report(sections: List[Section], mode: str) -> outcome.StateReport:
    entries = [_entry(s) for s in sections]
    changed = sum(1 for e in entries if e["changed"])
    return {
        "format": outcome.FORMAT,
        "mode": mode,
        "changed": bool(changed),
        "entries": entries,
        "actions": [a for s in sections for a in s.plan.summaries()],
        "counts": {"changed": changed, "unchanged": len(entries) - changed},
    }


def _steps(document: NodeDocument) -> List[Tuple[str, Dict[str, Any]]]:
    """(where in the document, its values) per section, in the order they are applied."""
    steps = [("install", document.install), ("config", document.config)]
    steps += [(f"registries[{i}]", r) for i, r in enumerate(document.registries)]
    steps.append(("service", document.service))
    return [(where, values) for where, values in steps if values is not None]


def _planned(
    where: str,
    values: Dict[str, Any],
    address: str,
    workdir: WorkDir,
    check: bool,
    restart: List[str],
) -> Section:
    if where == "install":
        return _install(values, workdir, check)
    if where == "config":
        return _config(values)
    if where == "service":
        return _service(values, address, restart)
    return _registry(values, where)


def run(document: NodeDocument, mode: str, address: Optional[str]) -> outcome.StateReport:
    """Plan every section (``diff``, ``check``) or plan and apply each in turn (``apply``).

    A failure names the section, and says what the sections before it changed."""
    sections: List[Section] = []
    restart: List[str] = []
    with WorkDir() as workdir:
        for where, values in _steps(document):
            try:
                section = _planned(
                    where, values, address or DEFAULT_ADDRESS, workdir, mode != "apply", restart
                )
                if mode == "apply" and section.plan.changed:
                    section.carry_out()
            except OSError as exc:
                raise OcirtError(_failed(where, describe_os_error(exc), sections)) from None
            except OcirtError as exc:
                raise OcirtError(_failed(where, str(exc), sections)) from exc
            if section.restart_required:
                restart.append("config.toml" if section.kind == "config" else "containerd")
            sections.append(section)
    return report(sections, mode)


def _failed(where: str, message: str, done: List[Section]) -> str:
    changed = [s.path for s in done if s.plan.changed]
    return f"{where}: {message}" + (f" (already changed: {', '.join(changed)})" if changed else "")
