"""A network configuration list and the config each of its plugins gets on stdin.

libcni v1.1.1 ``buildOneConfig`` / ``injectRuntimeConfig``: each plugin object gets the
list's ``name`` and ``cniVersion``, loses ``capabilities``, and receives as
``runtimeConfig`` only the capability arguments it declares (``"capabilities":
{"portMappings": true}``), plus ``prevResult`` where the chain has one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..common.errors import InvalidInput

CNI_VERSION = "1.0.0"  # Debian's plugins 1.1.1 know nothing newer (no GC, no STATUS)


@dataclass(frozen=True)
class NetworkList:
    name: str
    cni_version: str
    plugins: Tuple[Mapping[str, Any], ...]
    raw: bytes  # the file's bytes, which the result cache keeps (base64)

    @classmethod
    def parse(cls, data: bytes, source: str = "conflist") -> NetworkList:
        try:
            doc = json.loads(data.decode())
        except ValueError as exc:
            raise InvalidInput(f"{source}: not JSON: {exc}") from None
        if not isinstance(doc, dict) or not doc.get("name"):
            raise InvalidInput(f"{source}: a conflist needs a 'name'")
        plugins = doc.get("plugins")
        if not isinstance(plugins, list) or not plugins:
            raise InvalidInput(f"{source}: a conflist needs a non-empty 'plugins' list")
        for index, plugin in enumerate(plugins):
            if not isinstance(plugin, dict) or not plugin.get("type"):
                raise InvalidInput(f"{source}: plugins[{index}] has no 'type'")
        return cls(
            str(doc["name"]), str(doc.get("cniVersion") or CNI_VERSION), tuple(plugins), data
        )

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> NetworkList:
        return cls.parse((json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())

    def as_dict(self) -> Dict[str, Any]:
        return dict(json.loads(self.raw.decode()))

    def plugin_stdin(
        self,
        index: int,
        prev_result: Optional[Mapping[str, Any]],
        capability_args: Mapping[str, Any],
    ) -> Dict[str, Any]:
        plugin = dict(self.plugins[index])
        declared = plugin.pop("capabilities", None) or {}
        config: Dict[str, Any] = {**plugin, "name": self.name, "cniVersion": self.cni_version}
        runtime = {k: v for k, v in capability_args.items() if declared.get(k)}
        if runtime:
            config["runtimeConfig"] = runtime
        if prev_result is not None:
            config["prevResult"] = prev_result
        return config

    def plugin_types(self) -> List[str]:
        return [str(p["type"]) for p in self.plugins]
