"""Pods: a CRI pod sandbox and its containers put into a declared state.

``options`` declares the options once; ``desired`` turns them (or crictl's config files,
``crictl_files``) into the CRI configs; ``config_hash`` is the stored identity that makes a
run idempotent; ``observed`` reads what the CRI has; ``decide`` is the pure planner and
``reconciler`` the ``plan``/``apply`` pair of the reconciler contract; ``report`` is what
pod_info and ``ocirt pod ls|inspect`` show.
"""
