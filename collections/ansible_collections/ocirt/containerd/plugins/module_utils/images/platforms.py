"""Platforms: which manifest of a multi-platform index this machine (or the user) wants."""

from __future__ import annotations

import platform as _platform
from typing import Any, Dict, List, Mapping, Optional

from ..common.errors import InvalidInput

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "i386": "386",
    "i686": "386",
}


def normalize(spec: Mapping[str, Any]) -> Dict[str, str]:
    """Aliases resolved, the default os filled in; a platform that is not an object of
    strings is refused (documents.check_platform names the field when the document is known)."""
    if not isinstance(spec, Mapping) or not all(
        isinstance(spec.get(k) or "", str) for k in ("os", "architecture", "variant")
    ):
        raise InvalidInput(
            f"platform {spec!r:.100} is not an object of os/architecture/variant strings"
        )
    given = str(spec.get("architecture") or "")
    arch = _ARCH_ALIASES.get(given, given)
    variant = spec.get("variant", "") or ""
    if arch == "arm64" and variant == "v8":
        variant = ""  # arm64 means v8
    return {"os": (spec.get("os") or "linux").lower(), "architecture": arch, "variant": variant}


def parse(text: Optional[str]) -> Dict[str, str]:
    """'linux/arm64/v8', 'linux/amd64' or 'arm64' -> a normalized platform; None = this host."""
    if not text:
        return host_platform()
    parts = text.strip().split("/")
    if len(parts) == 1:
        spec = {"os": "linux", "architecture": parts[0]}
    elif len(parts) in (2, 3):
        spec = {
            "os": parts[0],
            "architecture": parts[1],
            "variant": parts[2] if len(parts) == 3 else "",
        }
    else:
        raise InvalidInput(f"platform {text!r} is not os/architecture[/variant]")
    if not spec["os"] or not spec["architecture"]:
        raise InvalidInput(f"platform {text!r} is not os/architecture[/variant]")
    return normalize(spec)


def host_platform() -> Dict[str, str]:
    machine = _platform.machine().lower()
    arch = _ARCH_ALIASES.get(machine, machine)
    variant = ""
    if arch == "arm":
        variant = "v7"
    return {"os": "linux", "architecture": arch, "variant": variant}


def format_platform(spec: Mapping[str, Any]) -> str:
    p = normalize(spec)
    return "/".join(x for x in (p["os"], p["architecture"], p["variant"]) if x)


def _candidates(wanted: Dict[str, str]) -> List[Dict[str, str]]:
    """Platforms acceptable for ``wanted``, best first (containerd's rules: amd64 runs 386,
    arm64 runs arm v8 down to v5, armvN runs lower variants)."""
    out = [wanted]
    arch, variant = wanted["architecture"], wanted["variant"]
    if arch == "amd64":
        out.append({**wanted, "architecture": "386", "variant": ""})
    if arch == "arm64":
        out += [{**wanted, "architecture": "arm", "variant": f"v{v}"} for v in (8, 7, 6, 5)]
    if arch == "arm" and variant.startswith("v") and variant[1:].isdigit():
        out += [{**wanted, "variant": f"v{v}"} for v in range(int(variant[1:]) - 1, 4, -1)]
    return out


def rank(spec: Optional[Mapping[str, Any]], wanted: Dict[str, str]) -> Optional[int]:
    """0 for an exact match, higher for a fallback, None if the platform cannot run here."""
    if not spec:
        return None
    have = normalize(spec)
    for i, candidate in enumerate(_candidates(wanted)):
        if have["os"] == candidate["os"] and have["architecture"] == candidate["architecture"]:
            if (
                not candidate["variant"]
                or not have["variant"]
                or have["variant"] == candidate["variant"]
            ):
                return i
    return None


def select_manifests(
    manifests: List[Dict[str, Any]], wanted: Dict[str, str]
) -> List[Dict[str, Any]]:
    """The index entries that match ``wanted``, best first (an empty list if none does)."""
    ranked = [(rank(m.get("platform"), wanted), i, m) for i, m in enumerate(manifests)]
    return [
        m for r, _, m in sorted((x for x in ranked if x[0] is not None), key=lambda x: (x[0], x[1]))
    ]
