"""The state module's invocation line (what Ansible writes to syslog or the journal for every
module run) hides a password given inside an inline document; Ansible itself only hides
options declared no_log, and the document's passwords are known only once it is read."""

from __future__ import annotations

import json
from pathlib import Path

from ansible.module_utils import basic

COLLECTIONS = str(Path(__file__).resolve().parents[2] / "collections")


def test_a_password_in_an_inline_document_is_hidden_in_the_invocation_line(monkeypatch):
    monkeypatch.syspath_prepend(COLLECTIONS)
    from ansible_collections.ocirt.containerd.plugins.modules import state

    document = {
        "images": [{"name": "r.test/app:1", "username": "ci", "password": "S3cret-in-doc"}],
        "containers": [{"name": "web", "image": "r.test/app:1", "password": "S3cret-two"}],
    }
    args = {"ANSIBLE_MODULE_ARGS": {"state": document, "_ansible_no_log": False}}
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps(args).encode())
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy")
    lines = []
    monkeypatch.setattr(
        basic.AnsibleModule, "log", lambda self, msg, log_args=None: lines.append(msg)
    )
    state.StateModule(argument_spec=state.ARGUMENT_SPEC, supports_check_mode=True)
    assert len(lines) == 1 and lines[0].startswith("Invoked with state=")
    assert "r.test/app:1" in lines[0]  # the document is logged ...
    assert "S3cret" not in lines[0]  # ... without its passwords
