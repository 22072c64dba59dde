"""One section of a node document planned by its module's reconciler: what the report
shows of it and how to carry it out.

A ``service`` section that wants containerd ``started`` is planned as ``restarted`` when an
earlier section of the same document needs containerd restarted (``restart_required``), and
its restart action says why, as the role's handler does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Tuple

from ..config.masking import mask_config_text
from ..hosts_toml.writer import mask_secrets
from ..install.fetch import WorkDir
from ..reconcile import config, install, registry, service
from ..reconcile.plan import Plan

RESTART_REASON = "restart_required: {what} changed"


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
    plan = registry.plan(registry.desired_from(values, values["config_path"]))
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


def planned(
    where: str,
    values: Mapping[str, Any],
    address: str,
    workdir: WorkDir,
    check: bool,
    restart: List[str],
) -> Section:
    """The section at ``where`` (install, config, registries[i], service) planned; ``restart``
    names what earlier sections changed that needs containerd restarted."""
    if where == "install":
        return _install(values, workdir, check)
    if where == "config":
        return _config(values)
    if where == "service":
        return _service(values, address, restart)
    return _registry(values, where)
