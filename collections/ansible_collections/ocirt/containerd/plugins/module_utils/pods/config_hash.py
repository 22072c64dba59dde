"""The stored identity of a pod and of each of its containers: a hash in an annotation.

At creation, ocirt stores in the CRI annotations (which the CRI returns unchanged by
ListPodSandbox and ListContainers) the sha256 of the canonical JSON of the config it sent,
and that JSON itself, so a later run compares one string, and names what differs when
it does. The hash covers everything that shapes the sandbox or container; the sandbox's
also covers the runtime handler. A container's ``metadata.attempt`` is left out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional

HASH_ANNOTATION = "io.ocirt.config-hash"
CONFIG_ANNOTATION = "io.ocirt.config"
OURS = (HASH_ANNOTATION, CONFIG_ANNOTATION)


def _pruned(value: Any) -> Any:
    """None, empty and false leaves removed: the CRI treats them all as unset."""
    if isinstance(value, Mapping):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [], "", False)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def canonical(config: Mapping[str, Any]) -> Dict[str, Any]:
    """The config as compared and stored: without ocirt's own annotations, defaults pruned."""
    copy = json.loads(json.dumps(config))
    annotations = copy.get("annotations") or {}
    for key in OURS:
        annotations.pop(key, None)
    return _pruned(copy)


def config_hash(canonical_config: Mapping[str, Any]) -> str:
    text = json.dumps(canonical_config, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def sandbox_identity(config: Mapping[str, Any], runtime_handler: str) -> Dict[str, Any]:
    """What a sandbox's hash covers: its config and the runtime handler."""
    return {"config": canonical(config), "runtime_handler": runtime_handler}


def container_identity(
    config: Mapping[str, Any], image_digest: Optional[str] = None
) -> Dict[str, Any]:
    """What a container's hash covers: its config without the attempt number, and the
    digest of its image where the image reconciler knows it (a newer image recreates)."""
    ident = canonical(config)
    (ident.get("metadata") or {}).pop("attempt", None)
    if image_digest:
        ident["image_digest"] = image_digest
    return ident


def stamped(config: Mapping[str, Any], identity: Mapping[str, Any]) -> Dict[str, Any]:
    """``config`` with ocirt's annotations added (the form sent to the CRI)."""
    out = dict(config)
    annotations = dict(out.get("annotations") or {})
    annotations[HASH_ANNOTATION] = config_hash(identity)
    annotations[CONFIG_ANNOTATION] = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    out["annotations"] = annotations
    return out


def stored_hash(annotations: Mapping[str, str]) -> Optional[str]:
    return annotations.get(HASH_ANNOTATION)


def stored_identity(annotations: Mapping[str, str]) -> Optional[Dict[str, Any]]:
    raw = annotations.get(CONFIG_ANNOTATION)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def differences(stored: Optional[Mapping[str, Any]], wanted: Mapping[str, Any]) -> List[str]:
    """Dotted names of what differs (two levels deep: ``config.hostname``, ``envs``)."""
    if stored is None:
        return ["(no stored configuration)"]
    found = []
    for key in sorted(set(stored) | set(wanted)):
        a, b = stored.get(key), wanted.get(key)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            found += [f"{key}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        else:
            found.append(key)
    return found
