"""A node document planned (``diff``, ``check``), or planned and applied section by section
(``apply``), in the order install, config, registries, service."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..common.defaults import DEFAULT_ADDRESS
from ..common.errors import OcirtError, describe_os_error
from ..install.fetch import WorkDir
from ..state import outcome
from .document import NodeDocument
from .report import report
from .sections import Section, planned


def _steps(document: NodeDocument) -> List[Tuple[str, Dict[str, Any]]]:
    """(where in the document, its values) per section, in the order they are applied."""
    steps = [("install", document.install), ("config", document.config)]
    steps += [(f"registries[{i}]", r) for i, r in enumerate(document.registries)]
    steps.append(("service", document.service))
    return [(where, values) for where, values in steps if values is not None]


def run(document: NodeDocument, mode: str, address: Optional[str]) -> outcome.StateReport:
    """Plan every section (``diff``, ``check``) or plan and apply each in turn (``apply``).

    A failure names the section, and says what the sections before it changed."""
    sections: List[Section] = []
    restart: List[str] = []
    with WorkDir() as workdir:
        for where, values in _steps(document):
            try:
                section = planned(
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
