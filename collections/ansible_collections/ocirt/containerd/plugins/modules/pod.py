#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a Kubernetes CRI pod (sandbox and containers) in a declared state."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pod
short_description: Run CRI pods and their containers declaratively, without Kubernetes
version_added: 0.2.0
description:
  - Runs a pod sandbox and its containers through the Kubernetes CRI (runtime.v1) that
    containerd serves on its own socket, as the kubelet or C(crictl runp) and
    C(crictl create) do, in containerd namespace C(k8s.io).
  - The configuration sent to the CRI is hashed and stored in an annotation of the sandbox
    and of each container. A run compares the hashes with what is declared, so a second
    identical run changes nothing and restarts nothing; a container whose configuration
    differs is recreated alone; a pod-level difference (hostname, ports, labels,
    security context, ...) recreates the pod with its containers.
  - The containers' images are planned by the image reconciler in namespace C(k8s.io)
    (O(pull)), so check mode predicts the pulls too.
  - The CRI needs its sandbox (C(pause)) image in namespace C(k8s.io) under the name its
    configuration gives (C(sandbox_image) or C(pinned_images.sandbox)); on a node without
    registry access, import it first (M(ocirt.containerd.image) with O(ocirt.containerd.image#module:archive_path)
    and O(ocirt.containerd.image#module:namespace=k8s.io)).
extends_documentation_fragment:
  - ocirt.containerd.module_kind.state
  - ocirt.containerd.registry_access
options:
    name:
      description:
      - Pod name (CRI metadata.name).
      type: str
      required: true
    pod_namespace:
      description:
      - Pod namespace (CRI metadata.namespace).
      type: str
      default: default
    uid:
      description:
      - 'Pod uid (default: derived from namespace and name).'
      type: str
    attempt:
      description:
      - Attempt number of the sandbox.
      type: int
      default: 0
    state:
      description:
      - 'V(started): the pod sandbox is ready and every container running; a container that exited is recreated
        (the CRI cannot restart one).'
      - 'V(stopped): the sandbox and its containers exist and are stopped.'
      - 'V(absent): every sandbox of that name and namespace is removed, with its containers.'
      type: str
      default: started
      choices:
      - started
      - stopped
      - absent
    hostname:
      description:
      - 'Hostname (default: the name; the node''s with network=host).'
      type: str
    labels:
      description:
      - CRI labels of the pod.
      type: dict
      default: {}
    annotations:
      description:
      - CRI annotations of the pod.
      type: dict
      default: {}
    log_directory:
      description:
      - 'Directory of the containers'' logs (default: /var/log/pods/<ns>_<name>_<uid>).'
      type: path
    dns:
      description:
      - Resolv.conf of the pod.
      type: dict
      suboptions:
        servers:
          description:
          - Name servers.
          type: list
          elements: str
        searches:
          description:
          - Search domains.
          type: list
          elements: str
        options:
          description:
          - Resolv.conf options, e.g. ndots:2.
          type: list
          elements: str
    port_mappings:
      description:
      - Ports published on the host.
      type: list
      elements: dict
      default: []
      suboptions:
        container_port:
          description:
          - Port in the pod.
          type: int
          required: true
        host_port:
          description:
          - Port on the host (needs the portmap CNI plugin).
          type: int
        protocol:
          description:
          - Tcp, udp or sctp.
          type: str
          default: tcp
          choices:
          - tcp
          - udp
          - sctp
        host_ip:
          description:
          - 'Host address to bind (default: all).'
          type: str
    network:
      description:
      - 'V(pod): the pod gets its own network namespace, set up by containerd''s CNI configuration (its
        conflist directory must hold a network).'
      - 'V(host): the pod shares the node''s network; no CNI is needed.'
      type: str
      default: pod
      choices:
      - pod
      - host
    security_context:
      description:
      - Linux security settings of the sandbox.
      type: dict
      suboptions:
        run_as_user:
          description:
          - Uid of the sandbox process.
          type: int
        run_as_group:
          description:
          - Gid of the sandbox process (needs run_as_user).
          type: int
        supplemental_groups:
          description:
          - Groups of every container's first process.
          type: list
          elements: int
        readonly_rootfs:
          description:
          - Read-only root file system of the sandbox.
          type: bool
        privileged:
          description:
          - Allow privileged containers in the pod.
          type: bool
        seccomp_profile:
          description:
          - 'Runtime/default, unconfined or localhost/<path> (default: runtime default).'
          type: str
    sysctls:
      description:
      - Namespaced sysctls of the pod.
      type: dict
      default: {}
    resources:
      description:
      - Resources of the whole pod.
      type: dict
      suboptions: &resource_limits
        cpu_period:
          description:
          - CFS period in microseconds.
          type: int
        cpu_quota:
          description:
          - CFS quota in microseconds per period.
          type: int
        cpu_shares:
          description:
          - Relative CPU weight.
          type: int
        memory_limit_in_bytes:
          description:
          - Memory limit in bytes.
          type: int
        oom_score_adj:
          description:
          - OOM score adjustment.
          type: int
        cpuset_cpus:
          description:
          - CPUs to run on, e.g. 0-1.
          type: str
        cpuset_mems:
          description:
          - Memory nodes to use.
          type: str
    cgroup_parent:
      description:
      - Parent cgroup of the pod.
      - When none is given and the pod's runtime uses the systemd cgroup driver (runc's
        C(SystemdCgroup = true), which the kubernetes-node profile of the containerd role sets),
        the pod gets C(ocirt.slice). Under that driver runc accepts only a cgroups path of
        the form C(slice:prefix:name), which the CRI makes only from a parent slice; without
        one containerd hands runc C(/k8s.io/<id>) and the pod never starts. kubelet always
        passes a slice too. systemd makes C(ocirt.slice) when the first pod enters it.
      - The driver is read from the running containerd (the CRI's loaded configuration, for
        the pod's O(runtime_handler)); under cgroupfs nothing is added.
      - Under the systemd driver a parent that is not a slice (its last part does not end
        in C(.slice)) is refused before anything is done.
      - The parent used is part of the pod's stored configuration, so a rerun changes
        nothing.
      type: str
    runtime_handler:
      description:
      - 'CRI runtime handler (default: containerd''s default).'
      type: str
      default: ''
    containers:
      description:
      - The pod's containers. A container whose configuration differs from the one it was made with is recreated
        alone; the others keep running.
      type: list
      elements: dict
      default: []
      suboptions:
        name:
          description:
          - Name of the container in the pod.
          type: str
          required: true
        image:
          description:
          - Image (pulled into namespace k8s.io as pull says).
          type: str
          required: true
        command:
          description:
          - 'Entrypoint (default: the image''s).'
          type: list
          elements: str
        args:
          description:
          - 'Arguments (default: the image''s cmd).'
          type: list
          elements: str
        env:
          description:
          - Environment variables.
          type: dict
          default: {}
        mounts:
          description:
          - Host paths to mount.
          type: list
          elements: dict
          default: []
          suboptions:
            host_path:
              description:
              - File or directory on the host.
              type: path
              required: true
            container_path:
              description:
              - Where it appears in the container.
              type: str
              required: true
            readonly:
              description:
              - Mount read-only.
              type: bool
              default: false
            propagation:
              description:
              - Mount propagation.
              type: str
              default: private
              choices:
              - private
              - host_to_container
              - bidirectional
        working_dir:
          description:
          - 'Working directory (default: the image''s).'
          type: str
        resources:
          description:
          - Resource limits.
          type: dict
          suboptions: *resource_limits
        log_path:
          description:
          - 'Log file, relative to the pod''s log_directory (default: <name>.log).'
          type: str
        labels:
          description:
          - CRI labels of the container.
          type: dict
          default: {}
        annotations:
          description:
          - CRI annotations of the container.
          type: dict
          default: {}
        security_context:
          description:
          - Linux security settings.
          type: dict
          suboptions:
            run_as_user:
              description:
              - Uid of the container's process.
              type: int
            run_as_group:
              description:
              - Gid of the container's process (needs run_as_user).
              type: int
            readonly_rootfs:
              description:
              - Read-only root file system.
              type: bool
            privileged:
              description:
              - Privileged container (the pod must allow it).
              type: bool
            no_new_privs:
              description:
              - Set no_new_privs on the process.
              type: bool
            capabilities_add:
              description:
              - Capabilities to add, e.g. NET_ADMIN.
              type: list
              elements: str
            capabilities_drop:
              description:
              - Capabilities to drop (ALL for every one).
              type: list
              elements: str
            seccomp_profile:
              description:
              - Runtime/default, unconfined or localhost/<path>.
              type: str
        tty:
          description:
          - Allocate a terminal.
          type: bool
          default: false
        stdin:
          description:
          - Keep stdin open.
          type: bool
          default: false
    pull:
      description:
      - When to pull the containers' images, into namespace C(k8s.io) where the CRI sees them (O(namespace)
        is not used for them).
      type: str
      default: missing
      choices:
      - missing
      - always
      - never
    stop_timeout:
      description:
      - Seconds a container has to stop before it is killed.
      type: int
      default: 10
    adopt:
      description:
      - Take over (recreate or remove) a pod of that name and namespace that ocirt did not make, for example
        the kubelet's. Without it such a pod is refused.
      type: bool
      default: false
notes:
  - O(namespace) is accepted for C(module_defaults) of the action group and not used, as the
    CRI always works in containerd namespace C(k8s.io). The pod's own namespace is
    O(pod_namespace).
  - A pod with O(network=pod) needs a CNI network in containerd's CNI configuration
    directory (the C(ocirt.containerd.containerd) role can write one);
    O(network=host) needs none.
seealso:
  - module: ocirt.containerd.pod_info
"""

EXAMPLES = r"""
- name: A pod on the host network with a web server and a sidecar
  ocirt.containerd.pod:
    name: web
    pod_namespace: default
    network: host
    labels:
      app: web
    containers:
      - name: httpd
        image: registry.example:5000/team/web:1.4
        command: [httpd, -f, -p, "8080"]
        env:
          MODE: production
      - name: sidecar
        image: registry.example:5000/team/worker:1.4
        command: [sleep, "3600"]

- name: Stop it (the sandbox and its containers stay, stopped)
  ocirt.containerd.pod:
    name: web
    state: stopped
    network: host
    labels:
      app: web
    containers:
      - name: httpd
        image: registry.example:5000/team/web:1.4
        command: [httpd, -f, -p, "8080"]
        env:
          MODE: production
      - name: sidecar
        image: registry.example:5000/team/worker:1.4
        command: [sleep, "3600"]

- name: Remove it, containers and all
  ocirt.containerd.pod:
    name: web
    state: absent
"""

RETURN = r"""
pod:
  description:
    - The pod as the CRI reports it after the run (see M(ocirt.containerd.pod_info) for the
      keys); null when absent.
    - In check mode, the pod as it was found (C(id), C(state), C(config), C(containers)).
  returned: success
  type: dict
  sample: {"id": "3f1c...", "name": "web", "pod_namespace": "default", "state": "ready",
           "containers": [{"name": "httpd", "state": "running", "exit_code": 0}]}
actions:
  description: What was done (or would be done in check mode), and why.
  returned: success
  type: list
  elements: dict
  sample: [{"action": "remove_container", "target": "httpd", "reason": "configuration differs: envs"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.argspec import table_spec
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    REGISTRY_ACCESS_OPTIONS,
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import reconciler
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.desired import from_options
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.options import POD_OPTIONS


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(**table_spec(POD_OPTIONS), **REGISTRY_ACCESS_OPTIONS),
        supports_check_mode=True,
    )
    p = module.params
    run_reconciler(
        module,
        lambda conn: reconciler.plan(conn, from_options(p, registry_access(p))),
        reconciler.apply,
        lambda plan, applied: {"pod": applied.after if applied else plan.before},
    )


if __name__ == "__main__":
    main()
