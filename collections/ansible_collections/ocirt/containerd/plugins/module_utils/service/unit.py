"""The systemd unit (modelled on upstream's containerd.service) and the proxy drop-in.

Delegate=yes lets containerd manage the cgroups of its shims; KillMode=process makes a
stop or restart signal only the daemon, so the shims and the containers they hold keep
running; OOMScoreAdjust=-999 keeps the OOM killer away from the daemon.
"""

from __future__ import annotations

import shlex
from typing import Dict, List, Optional

DEFAULT_UNIT_PATH = "/etc/systemd/system/containerd.service"
UNIT_NAME = "containerd.service"
PROXY_DROPIN = "http-proxy.conf"
PROXY_KEYS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


def exec_start(binary: str, config_path: str, address: Optional[str]) -> List[str]:
    """The daemon's command line (the same for systemd and the detached fallback)."""
    argv = [binary, "--config", config_path]
    if address:
        argv += ["--address", address]
    return argv


def render_unit(binary: str, config_path: str, address: Optional[str] = None) -> str:
    command = " ".join(shlex.quote(a) for a in exec_start(binary, config_path, address))
    return (
        "# Managed by ocirt (ocirt.containerd.service); local changes are overwritten.\n"
        "[Unit]\n"
        "Description=containerd container runtime\n"
        "Documentation=man:containerd(8)\n"
        "After=network.target local-fs.target dbus.service\n"
        "\n"
        "[Service]\n"
        "ExecStartPre=-/sbin/modprobe overlay\n"
        f"ExecStart={command}\n"
        "Type=notify\n"
        "Delegate=yes\n"
        "KillMode=process\n"
        "Restart=always\n"
        "RestartSec=5\n"
        "LimitNPROC=infinity\n"
        "LimitCORE=infinity\n"
        "LimitNOFILE=infinity\n"
        "TasksMax=infinity\n"
        "OOMScoreAdjust=-999\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def proxy_environment(proxy: Optional[Dict[str, Optional[str]]]) -> Dict[str, str]:
    """{'HTTP_PROXY': ..., ...} from the option (keys in any case), empty values dropped."""
    env: Dict[str, str] = {}
    for key, value in (proxy or {}).items():
        if value:
            env[key.upper()] = str(value)
    return env


def _quote_env(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")


def render_proxy_dropin(env: Dict[str, str]) -> Optional[str]:
    """The drop-in's content, or None when no proxy is set (then it is removed)."""
    if not env:
        return None
    lines = ["# Managed by ocirt (ocirt.containerd.service).", "[Service]"]
    for key in PROXY_KEYS:
        if key in env:
            lines.append(f'Environment="{key}={_quote_env(env[key])}"')
    return "\n".join(lines) + "\n"


def has_credentials(env: Dict[str, str]) -> bool:
    """A proxy URL with user:password@ makes the drop-in a secret (mode 0600)."""
    return any("@" in v for k, v in env.items() if k != "NO_PROXY")
