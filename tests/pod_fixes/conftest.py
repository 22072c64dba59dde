"""The pod tests' fixtures (tests/pods/conftest.py): a private CRI-enabled containerd per
series (SystemdCgroup = false, as harness/daemon.py writes it), a CRI connection and a
unique pod name whose pods are removed afterwards."""

from pods.conftest import cri, cri_conn, pod_name  # noqa: F401
