"""The network tests' fixtures (tests/networks/conftest.py): plugins in a network namespace
of the test's own, CNI state under a temporary directory."""

from networks.conftest import cni_paths, host_netns

__all__ = ["cni_paths", "host_netns"]
