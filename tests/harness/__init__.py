"""Test harness for ocirt: private containerd daemons, local registries, images built from
busybox-static. Registered as a pytest plugin from tests/conftest.py (harness.plugin)."""
