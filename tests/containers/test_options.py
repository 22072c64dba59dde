"""ContainerOptions validation and the canonical form (pure: no daemon needed)."""

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
    canonical,
    config_hash,
    parse_size,
)


def test_sizes_parse_docker_style():
    assert parse_size("256m", "memory") == 256 * 1024**2
    assert parse_size("1g", "memory") == 1024**3
    assert parse_size("1.5GiB", "memory") == int(1.5 * 1024**3)
    assert parse_size(4096, "memory") == 4096
    with pytest.raises(InvalidInput, match="memory: 'lots' is not a size"):
        parse_size("lots", "memory")


def test_image_name_is_normalized():
    assert ContainerOptions.from_dict({"image": "busybox"}).image == (
        "docker.io/library/busybox:latest"
    )


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"restart_policy": "sometimes"}, "restart_policy: 'sometimes' is not one of no, always"),
        ({"restart_policy": "always:3"}, "only on-failure takes a retry count"),
        ({"network_mode": "my net"}, "network_mode: 'my net' is not one of none, host"),
        ({"cap_drop": ["CAP_FLY"]}, "cap_drop: unknown capability 'CAP_FLY'"),
        ({"mounts": [{"type": "nfs", "target": "/x"}]}, "mounts[0].type: 'nfs' is not one of"),
        ({"mounts": ["./rel:/x"]}, "mounts[0].source: './rel' is not a volume name"),
        ({"memory": "2k"}, "memory: the minimum is 6m"),
        ({"stop_signal": "SIGFOO"}, "stop_signal: unknown signal 'SIGFOO'"),
        ({"colour": "red"}, "unknown container option(s) colour"),
    ],
)
def test_bad_input_names_option_and_allowed_values(raw, message):
    with pytest.raises(InvalidInput) as exc:
        ContainerOptions.from_dict({"image": "busybox", **raw})
    assert message in str(exc.value)


def test_omitted_and_default_options_are_equal():
    omitted = ContainerOptions.from_dict({"image": "busybox"})
    explicit = ContainerOptions.from_dict(
        {
            "image": "docker.io/library/busybox:latest",
            "restart_policy": "no",
            "network_mode": "none",
            "stop_timeout": 10,
            "env": {},
            "privileged": False,
            "runtime": "io.containerd.runc.v2",
        }
    )
    assert canonical(omitted, "sha256:a") == canonical(explicit, "sha256:a")
    assert config_hash(omitted, "sha256:a") == config_hash(explicit, "sha256:a")
    assert config_hash(omitted, "sha256:a") != config_hash(omitted, "sha256:b")
    changed = ContainerOptions.from_dict({"image": "busybox", "memory": "64m"})
    assert canonical(changed)["memory"] == 64 * 1024**2


def test_canonical_is_order_independent():
    a = ContainerOptions.from_dict(
        {"image": "busybox", "cap_drop": ["NET_RAW", "chown"], "mounts": ["/a:/a", "/b:/b:ro"]}
    )
    b = ContainerOptions.from_dict(
        {
            "image": "busybox",
            "cap_drop": ["CAP_CHOWN", "CAP_NET_RAW"],
            "mounts": ["/b:/b:ro", "/a:/a"],
        }
    )
    assert config_hash(a) == config_hash(b)
