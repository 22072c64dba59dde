"""The network tests' fixtures (tests/networks/conftest.py): plugins in a network namespace
of the test's own, CNI state under a temporary directory, a private containerd in its own
network namespace."""

from networks.conftest import busybox_archive, cni_paths, host_netns, net_env, netconn

__all__ = ["busybox_archive", "cni_paths", "host_netns", "net_env", "netconn"]
