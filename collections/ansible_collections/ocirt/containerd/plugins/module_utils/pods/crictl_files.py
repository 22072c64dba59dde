"""crictl's pod-config and container-config files as a desired pod.

crictl (cmd/crictl/util.go ``loadPodSandboxConfig``/``loadContainerConfig``) reads JSON or
YAML into the Go protobuf structs, so keys are the snake_case proto field names, matched
without regard to case, and enums are numbers. Unlike crictl, which silently drops a key it
does not know (``logDirectory`` is lost), an unknown key is refused here with its path.
Required, as crictl requires them: the pod's ``metadata.name`` and ``metadata.namespace``,
each container's ``metadata.name`` and ``image.image``. An empty pod uid is derived from
namespace and name (crictl makes a random one), so running the same files twice is a no-op.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..common.errors import InvalidInput
from ..cri.container_messages import CONTAINER_CONFIG
from ..cri.sandbox_messages import POD_SANDBOX_CONFIG
from ..images.pull import RegistryAccess
from ..registry.reference import normalize_name
from ..wire.schema import MapOf, Message, Scalar
from .desired import DesiredPod, DesiredPodContainer, default_uid


def parse_text(text: str, source: str) -> Dict[str, Any]:
    """A config file's text as a mapping (JSON, else YAML)."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            import yaml  # only the CLI reads files; PyYAML comes with Ansible
        except ImportError:
            raise InvalidInput(f"{source} is not JSON, and PyYAML is missing for YAML") from None
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{source} is neither JSON nor YAML: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{source}: expected a mapping at the top, got {type(value).__name__}")
    return value


def _scalar(scalar: Scalar, value: Any, where: str) -> Any:
    expected = type(scalar.default)
    if expected is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if expected is bool and isinstance(value, bool):
        return value
    if expected is str and isinstance(value, str):
        return value
    hint = " (enums are numbers in crictl's files)" if scalar.name == "enum" else ""
    raise InvalidInput(f"{where} must be a {scalar.name}{hint}, got {value!r}")


def conform(message: Message, value: Any, where: str) -> Dict[str, Any]:
    """``value`` checked against ``message``: keys matched without regard to case, each
    value of its field's type; unknown keys refused, naming their path."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where or 'the file'} must be a mapping, got {value!r}")
    by_lower = {f.name.lower(): f for f in message.fields}
    out: Dict[str, Any] = {}
    for key, item in value.items():
        f = by_lower.get(str(key).lower())
        path = f"{where}.{key}" if where else str(key)
        if f is None:
            known = ", ".join(x.name for x in message.fields)
            raise InvalidInput(
                f"{path}: unknown key (crictl's files use the CRI's snake_case names; "
                f"known here: {known})"
            )
        if item is not None:
            out[f.name] = _field(f.type, f.repeated, item, path)
    return out


def _field(type_: Any, repeated: bool, item: Any, path: str) -> Any:
    if isinstance(type_, MapOf):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"{path} must be a mapping, got {item!r}")
        return {str(k): str(v) for k, v in item.items()}
    if repeated:
        if not isinstance(item, list):
            raise InvalidInput(f"{path} must be a list, got {item!r}")
        return [_one(type_, x, f"{path}[{i}]") for i, x in enumerate(item)]
    return _one(type_, item, path)


def _one(type_: Any, item: Any, path: str) -> Any:
    if isinstance(type_, Message):
        return conform(type_, item, path)
    return _scalar(type_, item, path)


def _required(config: Mapping[str, Any], path: Sequence[str], source: str) -> str:
    value: Any = config
    for key in path:
        value = (value or {}).get(key)
    if not value:
        raise InvalidInput(f"{source}: {'.'.join(path)} is required")
    return str(value)


def pod_config(raw: Mapping[str, Any], source: str = "pod config") -> Dict[str, Any]:
    config = conform(POD_SANDBOX_CONFIG, raw, "")
    _required(config, ("metadata", "name"), source)
    _required(config, ("metadata", "namespace"), source)
    meta = config["metadata"]
    meta.setdefault("attempt", 0)
    if not meta.get("uid"):
        meta["uid"] = default_uid(meta["namespace"], meta["name"])
    return config


def container_config(raw: Mapping[str, Any], source: str = "container config") -> Dict[str, Any]:
    config = conform(CONTAINER_CONFIG, raw, "")
    _required(config, ("metadata", "name"), source)
    image = _required(config, ("image", "image"), source)
    config["image"]["image"] = normalize_name(image)
    return config


def desired_pod(
    pod: Mapping[str, Any],
    containers: List[Mapping[str, Any]],
    runtime_handler: str = "",
    pull: str = "missing",
    access: Optional[RegistryAccess] = None,
) -> DesiredPod:
    """The pod of crictl-style configs (already parsed), to be started."""
    sandbox = pod_config(pod)
    made = [container_config(c, f"container config {i + 1}") for i, c in enumerate(containers)]
    desired = DesiredPod(
        name=sandbox["metadata"]["name"],
        pod_namespace=sandbox["metadata"]["namespace"],
        sandbox_config=sandbox,
        containers=[
            DesiredPodContainer(c["metadata"]["name"], c["image"]["image"], c) for c in made
        ],
        runtime_handler=runtime_handler,
        pull=pull,
        access=access or RegistryAccess(),
    )
    desired.validate()
    return desired
