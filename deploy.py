"""The reference deployment for pyinfra: what site.yml does (README, "pyinfra").

    bash scripts/build-agent.sh                                # dist/ocirt.pyz, the node agent
    .venv/bin/pyinfra @local deploy.py                         # this machine: shows, asks, runs
    .venv/bin/pyinfra -y inventory/fleet_example.py deploy.py  # a fleet over SSH
    .venv/bin/pyinfra --dry --diff @local deploy.py            # what would change, exactly

On every host, as the roles ``containerd`` and ``workloads`` of site.yml do it: the node
agent and what it needs (Debian's python3-grpcio, python3-tomlkit, python3-yaml); for the
``kubernetes-node`` profile the overlay and br_netfilter modules and the bridge sysctls;
containerd, runc and the CNI plugins from the distribution's packages
(``ocirt.install``); config.toml for the profile (``ocirt.config``); the registry hosts
(``ocirt.registry``); containerd running under systemd, or detached where systemd is not
PID 1, restarted when the install or the configuration changed it, as the role's handler
does (``ocirt.service(restart_if=[...])``); the demo image, built on the controller from
busybox-static (offline, as site.yml builds it), uploaded and imported; the demo container,
running and kept running by containerd's restart monitor. A second run says "No changes"
for every operation.

Host data (inventory, or ``--data key=value``) takes the role's variable names where the
role has one, with its defaults: ``containerd_profile`` (plain-host or kubernetes-node),
``containerd_install_enabled``, ``containerd_packages``, ``containerd_package_versions``,
``containerd_update_cache``, ``containerd_config_path``, ``containerd_binary``,
``containerd_root_dir``, ``containerd_state_dir``, ``containerd_registry_config_path``,
``containerd_systemd_cgroup``, ``containerd_sandbox_image``, ``containerd_config_options``,
``containerd_config_settings``, ``containerd_registries``, ``containerd_service_manager``,
``containerd_service_pid_file``, ``containerd_service_log_file``; and ``ocirt_address`` /
``ocirt_namespace`` (containerd's socket, the demo's namespace), ``ocirt_agent`` (the
agent's path on the host), ``ocirt_agent_packages`` (false: the host has the agent's
packages already), ``ocirt_archive_dir`` (where image archives go on the host),
``demo_image_archive`` (the archive on the controller), ``demo_image_name``,
``demo_container``, ``demo_command`` (default: the image's), ``demo_memory``.
"""

import io
import os
import subprocess
import sys

from pyinfra import host
from pyinfra.operations import files, server

from ocirt.pyinfra import operations as ocirt

HERE = os.path.dirname(os.path.abspath(__file__))


def setting(key, default):
    value = host.data.get(key)
    return default if value is None else value


def flag(key, default):
    value = setting(key, default)
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")


ADDRESS = setting("ocirt_address", "/run/containerd/containerd.sock")
PROFILE = setting("containerd_profile", "plain-host")
# the role's containerd_profile_options (roles/containerd/vars/main.yml)
PROFILE_OPTIONS = {
    "kubernetes-node": {
        "systemd_cgroup": flag("containerd_systemd_cgroup", True),
        "sandbox_image": setting("containerd_sandbox_image", "registry.k8s.io/pause:3.10"),
        "snapshotter": "overlayfs",
        "default_runtime": "runc",
        "cni_bin_dir": "/usr/lib/cni",
        "cni_conf_dir": "/etc/cni/net.d",
    },
    "plain-host": {
        "disabled_plugins": [
            "io.containerd.grpc.v1.cri",
            "io.containerd.cri.v1.images",
            "io.containerd.cri.v1.runtime",
            "io.containerd.podsandbox.controller.v1.podsandbox",
            "io.containerd.sandbox.controller.v1.shim",
        ]
    },
}
KERNEL_MODULES = ("overlay", "br_netfilter")
SYSCTLS = {
    "net.bridge.bridge-nf-call-iptables": 1,
    "net.bridge.bridge-nf-call-ip6tables": 1,
    "net.ipv4.ip_forward": 1,
}
CONFIG_PATH = setting("containerd_config_path", "/etc/containerd/config.toml")
BINARY = setting("containerd_binary", "/usr/bin/containerd")
DEMO_IMAGE = setting("demo_image_name", "demo.ocirt.local/busybox:1")
archive = setting("demo_image_archive", os.path.join(HERE, ".cache", "demo-image.tar"))
on_host = os.path.join(setting("ocirt_archive_dir", "/var/lib/ocirt/images"), "demo.tar")

# On the controller, once: the demo image archive (reproducible, so its digest is stable).
if not os.path.exists(archive):
    script = os.path.join(HERE, "scripts", "build-demo-image.py")
    subprocess.run(
        [sys.executable, script, archive, DEMO_IMAGE],
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )

ocirt.agent(
    name="ocirt node agent, python3-grpcio, python3-tomlkit, python3-yaml",
    packages=flag("ocirt_agent_packages", True),
)

if PROFILE == "kubernetes-node":
    files.put(
        name="Kernel modules loaded at boot",
        src=io.StringIO("".join(f"{m}\n" for m in KERNEL_MODULES)),
        dest="/etc/modules-load.d/ocirt-containerd.conf",
        mode="644",
    )
    for module in KERNEL_MODULES:
        server.modprobe(name=f"Kernel module {module}", module=module)
    for key, value in SYSCTLS.items():
        server.sysctl(
            name=f"sysctl {key}",
            key=key,
            value=value,
            persist=True,
            persist_file="/etc/sysctl.d/99-ocirt-k8s.conf",
        )

installed = None
if flag("containerd_install_enabled", True):
    installed = ocirt.install(
        name="containerd, runc and the CNI plugins (distribution packages)",
        packages=setting("containerd_packages", []) or None,
        package_versions=setting("containerd_package_versions", {}),
        update_cache=flag("containerd_update_cache", False),
    )

configured = ocirt.config(
    name=f"config.toml for the profile {PROFILE}",
    address=ADDRESS,
    path=CONFIG_PATH,
    containerd_binary=BINARY,
    settings=setting("containerd_config_settings", {}),
    root_dir=setting("containerd_root_dir", "/var/lib/containerd"),
    state_dir=setting("containerd_state_dir", "/run/containerd"),
    grpc_address=ADDRESS,
    registry_config_path=setting("containerd_registry_config_path", "/etc/containerd/certs.d"),
    **{**PROFILE_OPTIONS[PROFILE], **setting("containerd_config_options", {})},
)

for entry in setting("containerd_registries", []):
    ocirt.registry(
        name=f"Registry {entry['host']}",
        **{
            "config_path": setting("containerd_registry_config_path", "/etc/containerd/certs.d"),
            **entry,
        },
    )

ocirt.service(
    name="containerd running (restarted if the install or config.toml changed it)",
    restart_if=[op for op in (installed, configured) if op is not None],
    address=ADDRESS,
    manager=setting("containerd_service_manager", "auto"),
    binary=BINARY,
    config_path=CONFIG_PATH,
    pid_file=setting("containerd_service_pid_file", "/run/containerd/containerd.pid"),
    log_file=setting("containerd_service_log_file", "/var/log/containerd.log"),
)

files.put(name="Demo image archive", src=archive, dest=on_host, mode="640")

ocirt.state(
    name="Demo image and container",
    address=ADDRESS,
    document={
        "group": "demo",
        "prune": True,  # containers of group demo the document no longer lists are removed
        "images": [{"name": DEMO_IMAGE, "archive_path": on_host}],
        "containers": [
            {
                "name": setting("demo_container", "ocirt-demo"),
                "image": DEMO_IMAGE,
                "pull": "never",
                "restart_policy": "always",
                "memory": setting("demo_memory", "64m"),
                **(
                    {"command": setting("demo_command", None)}
                    if host.data.get("demo_command")
                    else {}
                ),
            }
        ],
    },
)
