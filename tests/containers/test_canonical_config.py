"""The stored canonical configuration keeps its bytes across releases (pure: no daemon).

Its hash is the label every container carries to compare desired and actual state: if the
same options gave other bytes after an upgrade, every container would be recreated. The
expected values were computed with the release before the option table.
"""

from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
    canonical_json,
    config_hash,
)

EVERY_OPTION = {
    "image": "busybox:1.36",
    "command": ["sh", "-c", "echo hi"],
    "entrypoint": ["/bin/env"],
    "env": {"A": "1", "B": True, "C": None},
    "working_dir": "/srv",
    "user": "1000:1000",
    "hostname": "web",
    "labels": ["tier=front", "x=y"],
    "annotations": {"org.example/a": "b"},
    "mounts": [
        "/data:/data:ro",
        "cache:/cache",
        {"type": "tmpfs", "target": "/tmp/", "options": ["size=64m"]},
    ],
    "read_only_rootfs": True,
    "cap_add": ["net_admin", "CAP_SYS_TIME"],
    "cap_drop": ["ALL"],
    "privileged": False,
    "devices": [
        "/dev/fuse",
        {"path": "/dev/null", "container_path": "/dev/zero", "permissions": "rw"},
    ],
    "memory": "256m",
    "memory_swap": "-1",
    "cpus": "0.5",
    "cpu_shares": 512,
    "pids_limit": 100,
    "sysctls": {"net.ipv4.ip_unprivileged_port_start": 80},
    "shm_size": "64m",
    "ulimits": ["nofile=1024:2048", "nproc=512"],
    "network_mode": "host",
    "stop_signal": "QUIT",
    "stop_timeout": "30",
    "restart_policy": "on-failure:3",
    "runtime": "io.containerd.runc.v2",
    "snapshotter": "native",
    "systemd_cgroup": True,
}
DIGEST = "sha256:" + "ab" * 32

EVERY_OPTION_JSON = (
    '{"annotations":{"org.example/a":"b"},"cap_add":["CAP_NET_ADMIN","CAP_SYS_TIME"],'
    '"cap_drop":["ALL"],"command":["sh","-c","echo hi"],"cpu_shares":512,"cpus":0.5,'
    '"devices":[{"container_path":"/dev/fuse","path":"/dev/fuse","permissions":"rwm"},'
    '{"container_path":"/dev/zero","path":"/dev/null","permissions":"rw"}],'
    '"entrypoint":["/bin/env"],"env":{"A":"1","B":"true","C":""},"hostname":"web",'
    '"image":"docker.io/library/busybox:1.36","image_digest":"' + DIGEST + '",'
    '"labels":{"tier":"front","x":"y"},"memory":268435456,"memory_swap":-1,'
    '"mounts":[{"source":"cache","target":"/cache","type":"volume"},'
    '{"readonly":true,"source":"/data","target":"/data","type":"bind"},'
    '{"options":["size=64m"],"target":"/tmp","type":"tmpfs"}],"network_mode":"host",'
    '"pids_limit":100,"read_only_rootfs":true,"restart_policy":"on-failure:3",'
    '"shm_size":67108864,"snapshotter":"native","stop_signal":"SIGQUIT","stop_timeout":30,'
    '"sysctls":{"net.ipv4.ip_unprivileged_port_start":"80"},"systemd_cgroup":true,'
    '"ulimits":{"nofile":{"hard":2048,"soft":1024},"nproc":{"hard":512,"soft":512}},'
    '"user":"1000:1000","working_dir":"/srv"}'
)


def test_every_option_keeps_its_canonical_bytes_and_hash():
    options = ContainerOptions.from_dict(EVERY_OPTION)
    assert canonical_json(options, DIGEST) == EVERY_OPTION_JSON
    assert config_hash(options, DIGEST) == (
        "sha256:d1d5871aa0fcd4dce811ffa3bded9fe5ebc63a680c33566717619878127ca706"
    )


def test_defaults_stay_out_of_the_canonical_form():
    options = ContainerOptions.from_dict(
        {"image": "busybox", "pids_limit": -1, "memory": 64 * 1024 * 1024, "stop_timeout": 10}
    )
    assert canonical_json(options) == (
        '{"image":"docker.io/library/busybox:latest","memory":67108864}'
    )
    assert config_hash(options) == (
        "sha256:56e8d21364c29a8c3a6acfd5948e835fccb162020e08bc898b51406544b7e150"
    )
