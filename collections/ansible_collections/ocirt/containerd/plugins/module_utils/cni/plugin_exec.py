"""One exec of one CNI plugin (spec 1.0 section 2; libcni ``pkg/invoke/raw_exec.go``).

The plugin gets ``CNI_COMMAND``, ``CNI_CONTAINERID``, ``CNI_NETNS``, ``CNI_IFNAME``,
``CNI_ARGS`` and ``CNI_PATH`` in its environment, one plugin config on stdin, and answers
with one JSON document on stdout: the result, or on a non-zero exit the error
``{"code", "msg", "details"}``, which we turn into one sentence naming network, plugin and
message. ``PATH`` is the system's, because bridge, portmap and firewall run iptables.
Every exec is bounded by a timeout; a plugin that hangs is killed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from ..common.defaults import SYSTEM_PATH
from ..common.errors import CniError
from .paths import CniPaths

DEFAULT_PLUGIN_TIMEOUT = 60.0  # seconds; bridge + iptables on a busy machine take a few
#: spec 1.0 well-known error codes, for messages
ERROR_CODES = {
    1: "incompatible CNI version",
    2: "unsupported field",
    3: "container unknown",
    4: "invalid environment variables",
    5: "I/O failure",
    6: "failed to decode content",
    7: "invalid network config",
    11: "try again later",
}


@dataclass(frozen=True)
class Invocation:
    command: str  # ADD, DEL, CHECK, VERSION
    container_id: str = ""
    netns: str = ""
    ifname: str = ""
    args: str = "IgnoreUnknown=1"

    def environment(self, paths: CniPaths) -> Dict[str, str]:
        env = {"CNI_COMMAND": self.command, "CNI_PATH": paths.cni_path, "PATH": SYSTEM_PATH}
        for key, value in (
            ("CNI_CONTAINERID", self.container_id),
            ("CNI_NETNS", self.netns),
            ("CNI_IFNAME", self.ifname),
            ("CNI_ARGS", self.args),
        ):
            if value:
                env[key] = value
        return env


def describe_failure(network: str, plugin: str, command: str, code: int, stdout: bytes) -> str:
    """The plugin's error JSON as one sentence (its raw output when it is not JSON)."""
    where = f"network {network!r}: CNI plugin {plugin} {command}"
    try:
        error = json.loads(stdout.decode() or "{}")
    except ValueError:
        error = None
    if not isinstance(error, dict) or not error.get("msg"):
        text = stdout.decode(errors="replace").strip() or f"exit status {code}"
        return f"{where} failed: {text}"
    detail = f": {error['details']}" if error.get("details") else ""
    kind = ERROR_CODES.get(error.get("code") or 0)
    return f"{where} failed: {error['msg']}{detail}" + (f" ({kind})" if kind else "")


def _argv(binary: str, paths: CniPaths) -> list:
    if paths.host_netns:
        return ["nsenter", f"--net={paths.host_netns}", "--", binary]
    return [binary]


def run_plugin(
    paths: CniPaths,
    network: str,
    plugin_type: str,
    invocation: Invocation,
    config: Mapping[str, Any],
    timeout: float = DEFAULT_PLUGIN_TIMEOUT,
) -> Optional[Dict[str, Any]]:
    """Exec the plugin ``plugin_type`` once; its result (None when it printed nothing,
    as DEL does)."""
    binary = paths.find_plugin(plugin_type)
    if binary is None:
        raise CniError(
            f"network {network!r}: CNI plugin {plugin_type!r} not found in "
            f"{', '.join(paths.bin_dirs)} (Debian: apt-get install containernetworking-plugins)"
        )
    try:
        done = subprocess.run(
            _argv(binary, paths),
            input=json.dumps(config).encode(),
            capture_output=True,
            env=invocation.environment(paths),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CniError(
            f"network {network!r}: CNI plugin {plugin_type} {invocation.command} did not "
            f"finish within {timeout:.0f} s"
        ) from None
    except OSError as exc:
        raise CniError(f"network {network!r}: cannot run {binary}: {exc}") from None
    if done.returncode != 0:
        raise CniError(
            describe_failure(network, plugin_type, invocation.command, done.returncode, done.stdout)
        )
    if not done.stdout.strip():
        return None
    try:
        result = json.loads(done.stdout.decode())
    except ValueError:
        raise CniError(
            f"network {network!r}: CNI plugin {plugin_type} {invocation.command} printed "
            f"no JSON: {done.stdout[:200]!r}"
        ) from None
    return result if isinstance(result, dict) else None


def plugin_versions(paths: CniPaths, plugin_type: str, timeout: float = 10.0) -> list:
    """The spec versions a plugin supports (CNI_COMMAND=VERSION)."""
    result = run_plugin(
        paths, "-", plugin_type, Invocation("VERSION", args=""), {"cniVersion": "1.0.0"}, timeout
    )
    return list((result or {}).get("supportedVersions") or [])
