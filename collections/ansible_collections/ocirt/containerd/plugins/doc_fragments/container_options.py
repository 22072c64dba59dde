"""The options of a container, shared by the container modules.

The argument_spec comes from module_utils/containers/option_table.py;
tests/collection/test_option_tables.py checks that this fragment documents the same options,
types, defaults and choices, and the table's doc line of each.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  image:
    description:
      - The image to run, normalised as containerd does (C(busybox) is C(docker.io/library/busybox:latest)).
      - Required unless O(state=absent).
    type: str
  command:
    description:
      - Arguments replacing the image's C(Cmd).
    type: list
    elements: str
  entrypoint:
    description:
      - Replaces the image's C(Entrypoint).
    type: list
    elements: str
  env:
    description:
      - Environment variables, merged over the image's.
    type: dict
  working_dir:
    description:
      - Working directory (absolute); defaults to the image's C(WorkingDir), else C(/).
    type: str
  user:
    description:
      - User (name or uid, optionally C(:group)), resolved against the image's C(/etc/passwd) and C(/etc/group).
    type: str
  hostname:
    description:
      - The container's host name.
    type: str
  labels:
    description:
      - Labels on the container record.
    type: dict
  annotations:
    description:
      - OCI annotations in the runtime spec.
    type: dict
  mounts:
    description:
      - Mounts, each C(SOURCE:TARGET[:ro|rw]) (a bind mount) or a mapping with C(type) (V(bind), V(tmpfs), V(volume)),
        C(source), C(target), C(readonly) and C(options).
      - A V(volume) is a named directory that ocirt keeps under C(/var/lib/ocirt/volumes/<namespace>/<name>).
    type: list
    elements: raw
  read_only_rootfs:
    description:
      - Mount the root file system read-only.
    type: bool
    default: false
  cap_add:
    description:
      - Capabilities to add to containerd's default set (C(NET_ADMIN) or C(CAP_NET_ADMIN)).
    type: list
    elements: str
  cap_drop:
    description:
      - Capabilities to drop from the default set.
    type: list
    elements: str
  privileged:
    description:
      - All capabilities, no masked paths, all devices allowed.
    type: bool
    default: false
  devices:
    description:
      - Host devices, each C(/dev/HOST[:/dev/CONTAINER[:rwm]]) or a mapping with C(path), C(container_path), C(permissions).
    type: list
    elements: raw
  memory:
    description:
      - Memory limit such as C(256m) or C(1g) (at least C(6m)).
    type: str
  memory_swap:
    description:
      - Memory plus swap limit; C(-1) for unlimited swap. Needs O(memory).
    type: str
  cpus:
    description:
      - CPU quota in CPUs, such as C(0.5).
    type: float
  cpu_shares:
    description:
      - Relative CPU weight (cgroup v1 shares).
    type: int
  pids_limit:
    description:
      - Maximum number of processes; C(-1) for no limit.
    type: int
  sysctls:
    description:
      - Namespaced kernel parameters, such as C(net.ipv4.ip_unprivileged_port_start).
    type: dict
  shm_size:
    description:
      - Size of C(/dev/shm), such as C(64m).
    type: str
  ulimits:
    description:
      - Resource limits by name (C(nofile), C(nproc), ...), each C(N), C(SOFT:HARD) or a mapping with C(soft) and C(hard).
    type: dict
  network_mode:
    description:
      - V(none) gives the container its own network namespace with loopback only; V(host) shares the machine's; any other value is the name of a network to attach.
      - Publishing ports without naming a network attaches the default network C(bridge), as docker does.
    type: str
    default: none
  networks:
    description:
      - Networks to attach, in order (the first is C(eth0)), each a name or a mapping with C(name), C(ipv4_address) and C(aliases).
      - Networks are made with M(ocirt.containerd.network). Containers on one network find each other by name (and aliases) through C(/etc/hosts).
      - The container keeps its network namespace, address and ports while it exists (also when stopped or restarted by containerd's restart monitor); removing it releases them.
    type: list
    elements: raw
  published_ports:
    description:
      - "Ports published on the host, as C(docker run -p): C(8080:80), C(127.0.0.1:8080:80/tcp), C(8000-8001:80-81), C(53:53/udp)."
      - A host port is required. A changed port recreates the container.
    type: list
    elements: str
  dns:
    description:
      - Name servers in the container's C(/etc/resolv.conf).
      - Defaults to the host's, unless those are on C(127.0.0.0/8) (then C(8.8.8.8) and C(8.8.4.4), as docker).
    type: list
    elements: str
  dns_search:
    description:
      - Search domains in the container's C(/etc/resolv.conf).
    type: list
    elements: str
  extra_hosts:
    description:
      - Extra C(/etc/hosts) entries, each C(HOST:IP).
    type: list
    elements: str
  stop_signal:
    description:
      - Signal that asks the process to stop; defaults to the image's C(StopSignal), else C(SIGTERM).
    type: str
  stop_timeout:
    description:
      - Seconds to wait after the stop signal before C(SIGKILL).
    type: int
    default: 10
  restart_policy:
    description:
      - V(no), V(always), V(unless-stopped) or V(on-failure[:N]), carried out by containerd's own restart monitor
        (which checks every 10 seconds; containerd 1.6 treats every policy as V(always)).
    type: str
    default: 'no'
  runtime:
    description:
      - The containerd runtime.
    type: str
    default: io.containerd.runc.v2
  snapshotter:
    description:
      - Snapshotter for the root file system.
    type: str
    default: overlayfs
  systemd_cgroup:
    description:
      - Place the container in a systemd slice, for containerd configured with C(SystemdCgroup).
    type: bool
    default: false
  tty:
    description:
      - Give the process a terminal (C(process.terminal)); its input and output then go through FIFOs that C(ocirt attach) connects to, not to the log file.
    type: bool
    default: false
  log_driver:
    description:
      - Where the output goes; V(json-file) (ocirt's log driver, JSON lines with time and stream, rotated as O(log_max_size)
        says), V(file) (containerd's plain file, no times) or V(none).
      - V(json-file) runs a small Python program of the collection (installed once under C(/var/lib/ocirt/libexec)) through
        containerd's C(binary://) log URI; C(ocirt logs) and M(ocirt.containerd.container_info) read its files.
      - Containers made before this option existed keep the plain file they have until they are recreated.
      - With containerd 1.6, V(file) can lose output of one stream for good (its shim copies stdout and stderr into the
        one file; stderr's line of a container that writes and exits at once was missing in 8 of 109 runs); prefer
        V(json-file).
    type: str
    choices: [json-file, file, none]
    default: json-file
  log_max_size:
    description:
      - Rotate the V(json-file) log before it grows past this size (C(10m), C(1g)); unset, it is never rotated (docker's
        C(max-size)).
    type: str
  log_max_files:
    description:
      - How many log files O(log_max_size) keeps, the live one included; 1 truncates instead (docker's C(max-file)).
    type: int
    default: 1
  pull:
    description:
      - When to pull the image, as in M(ocirt.containerd.image).
    type: str
    choices: [missing, always, never]
    default: missing
"""
