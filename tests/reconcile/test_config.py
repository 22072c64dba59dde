"""The config.toml planner on recorded data: desired options and settings + the file's text
+ the installed containerd (its version and recorded answers) -> the actions with their
reasons, or the reason nothing is to be done. No daemon and no containerd binary.

Each file in data/config/ is one case (YAML):
  desired:  DesiredConfig's fields (path defaults to a directory that does not exist)
  observed: file (text, absent: no file), mode (an integer: YAML 1.1 has no 0o),
            containerd (version, default, migrated, rejects: containerd's message when it
            would not load the candidate; absent: no containerd)
  expected: actions [{action, reason (a substring)}] or noop_reason (a substring),
            after_contains / after_lacks (substrings of the planned file), restart_required,
            effective (a subset), warnings (substrings); or error {type, match}
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from ansible_collections.ocirt.containerd.plugins.module_utils.common import errors
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import config

DATA = Path(__file__).parent / "data" / "config"
PATH = "/nonexistent-ocirt/config.toml"  # the candidate check then writes to the temp dir


class RecordedContainerd:
    """A containerd that answers from the case file (config.binary.Containerd)."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.path = "/recorded/containerd"
        self.version = tuple(int(n) for n in str(data["version"]).split("."))
        self.data = data

    @property
    def version_string(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def can_migrate(self) -> bool:
        return self.version[0] >= 2

    def config_default(self) -> str:
        return self.data["default"]

    def migrate(self, config_path: str) -> str:
        return self.data["migrated"]

    def dump(self, config_path: str) -> subprocess.CompletedProcess:
        """The candidate itself as the dump, or containerd's recorded refusal."""
        if "rejects" in self.data:
            return subprocess.CompletedProcess([], 1, "", f"containerd: {self.data['rejects']}")
        return subprocess.CompletedProcess([], 0, Path(config_path).read_text(), "")


def observed(data: Dict[str, Any]) -> config.ObservedConfig:
    text: Optional[str] = data.get("file")
    recorded = data.get("containerd")
    return config.ObservedConfig(
        content=text.encode() if text is not None else None,
        mode=data.get("mode", 0o644) if text is not None else None,
        containerd=RecordedContainerd(recorded) if recorded else None,
    )


def cases() -> List[Any]:
    return [pytest.param(yaml.safe_load(p.read_text()), id=p.stem)
            for p in sorted(DATA.glob("*.yaml"))]


def check_plan(plan, expected: Dict[str, Any]) -> None:
    got = plan.summaries()
    want = expected.get("actions", [])
    assert [a["action"] for a in got] == [a["action"] for a in want], got
    for action, wanted in zip(got, want):
        assert wanted["reason"] in action["reason"], action
    if not want:
        assert expected["noop_reason"] in plan.noop_reason
    else:
        assert plan.noop_reason == ""
    outcome = plan.after
    for text in expected.get("after_contains", []):
        assert text in outcome.text, outcome.text
    for text in expected.get("after_lacks", []):
        assert text not in outcome.text, outcome.text
    if "restart_required" in expected:
        assert outcome.restart_required is expected["restart_required"]
    for name, value in expected.get("effective", {}).items():
        assert outcome.effective[name] == value, name
    for text in expected.get("warnings", []):
        assert any(text in w for w in outcome.warnings), outcome.warnings


@pytest.mark.parametrize("case", cases())
def test_config_plan(case):
    desired = config.DesiredConfig(**{"path": PATH, **case["desired"]})
    seen = observed(case["observed"])
    expected = case["expected"]
    if "error" in expected:
        error = getattr(errors, expected["error"]["type"])
        with pytest.raises(error, match=re.escape(expected["error"]["match"])):
            config.plan(desired, seen)
        return
    check_plan(config.plan(desired, seen), expected)
