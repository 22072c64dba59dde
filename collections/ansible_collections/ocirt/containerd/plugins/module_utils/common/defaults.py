"""containerd's default paths and names, written once.

The values are containerd's own defaults (and ctr's), so a node set up by ocirt looks like
one set up by the upstream packages.
"""

from __future__ import annotations

DEFAULT_ADDRESS = "/run/containerd/containerd.sock"
DEFAULT_TIMEOUT = 30.0  # seconds for one call to containerd
DEFAULT_NAMESPACE = "default"  # containerd's (and ctr's) default namespace
DEFAULT_SNAPSHOTTER = "overlayfs"
DEFAULT_RUNTIME = "io.containerd.runc.v2"
DEFAULT_CONFIG_FILE = "/etc/containerd/config.toml"
DEFAULT_REGISTRY_CONFIG_PATH = "/etc/containerd/certs.d"  # containerd's documented config_path
# The PATH containerd's own unit and runc's default spec use; binaries are looked up in it.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
