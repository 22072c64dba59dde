"""Where the CNI client keeps its state, and where it finds the plugins.

The defaults are libcni's and the plugins' own (results under /var/lib/cni/results,
host-local leases under /var/lib/cni/networks), so Go tools (``cnitool``, nerdctl) reading
the same cache agree with ocirt. The network definitions ocirt writes live in a directory
of ours, /etc/ocirt/networks, not in /etc/cni/net.d: containerd's CRI plugin loads the
first conflist it finds there for every pod, and a network meant for plain containers must
not become the pods' network by accident. Pinned namespaces go under /run/ocirt/netns
(tmpfs: they die with the machine, as the namespaces do).

``OCIRT_CNI_ROOT`` relocates all of these under one directory, and ``OCIRT_CNI_NETNS``
runs the plugins inside the network namespace at that path instead of the caller's: tests
run a private containerd in a network namespace of their own and must neither share the
machine's leases nor touch its network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

CNI_BIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")  # Debian's package, then upstream's default
ROOT_ENV = "OCIRT_CNI_ROOT"
NETNS_ENV = "OCIRT_CNI_NETNS"  # run the plugins in this network namespace (tests)


@dataclass(frozen=True)
class CniPaths:
    bin_dirs: Tuple[str, ...] = CNI_BIN_DIRS
    conf_dir: str = "/etc/ocirt/networks"
    cache_dir: str = "/var/lib/cni"  # libcni CacheDir: results/ lives below
    ipam_dir: str = "/var/lib/cni/networks"  # host-local dataDir
    netns_dir: str = "/run/ocirt/netns"
    files_dir: str = "/run/ocirt/containers"  # each container's /etc/hosts and resolv.conf
    host_netns: Optional[str] = None  # run plugins in this netns (a test's), None: ours

    @classmethod
    def from_environment(cls, env: Optional[Mapping[str, str]] = None) -> CniPaths:
        env = os.environ if env is None else env
        root = env.get(ROOT_ENV)
        if not root:
            return cls(host_netns=env.get(NETNS_ENV) or None)
        return cls(
            host_netns=env.get(NETNS_ENV) or None,
            conf_dir=os.path.join(root, "networks"),
            cache_dir=os.path.join(root, "cache"),
            ipam_dir=os.path.join(root, "ipam"),
            netns_dir=os.path.join(root, "netns"),
            files_dir=os.path.join(root, "containers"),
        )

    @property
    def results_dir(self) -> str:
        return os.path.join(self.cache_dir, "results")

    @property
    def cni_path(self) -> str:
        """``CNI_PATH``: where a plugin looks for the plugins it delegates to (IPAM)."""
        return ":".join(self.bin_dirs)

    def find_plugin(self, plugin_type: str) -> Optional[str]:
        for directory in self.bin_dirs:
            candidate = os.path.join(directory, plugin_type)
            if os.access(candidate, os.X_OK):
                return candidate
        return None
