"""Installing containerd, runc, the CNI plugins and crictl: from the OS package manager or
from checksummed release archives (see reconcile/install.py)."""
