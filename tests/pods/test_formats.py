"""Daemon-free: crictl's config files as crictl reads them, and the CRI log format."""

from __future__ import annotations

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import log_format
from ansible_collections.ocirt.containerd.plugins.module_utils.cri.streaming import exit_code
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import crictl_files

POD = {"metadata": {"name": "nginx-sandbox", "namespace": "default", "attempt": 1}, "linux": {}}
CTR = {"metadata": {"name": "busybox"}, "image": {"image": "busybox"}, "command": ["top"]}


def test_crictl_docs_examples_are_accepted() -> None:
    desired = crictl_files.desired_pod(dict(POD, log_directory="/tmp"), [CTR])
    meta = desired.sandbox_config["metadata"]
    assert (desired.name, desired.pod_namespace, meta["attempt"]) == ("nginx-sandbox", "default", 1)
    assert meta["uid"]  # derived, the same every time
    again = crictl_files.desired_pod(dict(POD, log_directory="/tmp"), [CTR])
    assert again.sandbox_config["metadata"]["uid"] == meta["uid"]
    assert desired.containers[0].image == "docker.io/library/busybox:latest"


def test_keys_match_without_case_but_underscores_count() -> None:
    config = crictl_files.pod_config({"Metadata": {"NAME": "a", "namespace": "b"}})
    assert config["metadata"]["name"] == "a"
    with pytest.raises(InvalidInput, match="logDirectory: unknown key"):
        crictl_files.pod_config(dict(POD, logDirectory="/tmp"))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"metadata": {"name": "a"}}, "metadata.namespace is required"),
        (dict(POD, port_mappings=[{"protocol": "TCP"}]), "enums are numbers"),
        (dict(POD, port_mappings={"a": 1}), "port_mappings must be a list"),
    ],
)
def test_bad_pod_configs_name_the_key(config, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        crictl_files.pod_config(config)


def test_container_needs_its_image() -> None:
    with pytest.raises(InvalidInput, match=r"image\.image is required"):
        crictl_files.container_config({"metadata": {"name": "x"}})


def test_yaml_is_read_too() -> None:
    assert crictl_files.parse_text("metadata:\n  name: a\n", "f.yaml") == {
        "metadata": {"name": "a"}
    }
    with pytest.raises(InvalidInput, match="expected a mapping"):
        crictl_files.parse_text("[1, 2]", "f.json")


def test_partial_lines_are_joined_per_stream() -> None:
    raw = [
        "2026-12-01T10:00:00.1Z stdout P hel",
        "2026-12-01T10:00:00.2Z stderr F oops",
        "2026-12-01T10:00:00.3Z stdout F lo",
        "2026-12-01T10:00:00.4Z stdout F ",
        "not a cri line",
    ]
    lines = log_format.parse_lines(raw)
    assert [(x["stream"], x["text"]) for x in lines] == [
        ("stderr", "oops"),
        ("stdout", "hello"),
        ("stdout", ""),
        ("stdout", "not a cri line"),
    ]


def test_tail_reads_only_the_end(tmp_path) -> None:
    path = tmp_path / "x.log"
    path.write_text("".join(f"2026-12-01T10:00:00Z stdout F line {i}\n" for i in range(5000)))
    assert [x["text"] for x in log_format.read_log(str(path), tail=2)] == [
        "line 4998",
        "line 4999",
    ]
    assert log_format.read_log(str(tmp_path / "missing.log")) == []


def test_stream_status_gives_the_exit_code() -> None:
    assert exit_code(b'{"status":"Success"}') == 0
    failure = (
        b'{"status":"Failure","reason":"NonZeroExitCode",'
        b'"details":{"causes":[{"reason":"ExitCode","message":"7"}]}}'
    )
    assert exit_code(failure) == 7
