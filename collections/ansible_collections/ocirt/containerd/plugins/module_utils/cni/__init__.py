"""Networks for plain containers: our own client of the CNI 1.0 exec protocol.

No CNI library exists for Python, and the protocol is small: exec a plugin binary with a
handful of ``CNI_*`` variables and one JSON config on stdin, read one JSON result (or one
JSON error) from stdout. The files here follow libcni v1.1.1 (``libcni/api.go``,
``pkg/invoke/raw_exec.go``) and are tested against Debian's containernetworking-plugins
1.1.1 in /usr/lib/cni: ``paths`` (where state lives), ``plugin_exec`` (one exec, bounded),
``conflist`` (a network configuration list and the stdin of each plugin), ``result_cache``
(libcni's result cache, so DEL works after a restart), ``chain`` (ADD/CHECK/DEL of a whole
list), ``netns`` (pinned network namespaces), ``conflist_builder`` (the bridge networks
ocirt writes), ``ports`` (docker's ``-p`` syntax), ``attach`` (a container's networks).
"""
