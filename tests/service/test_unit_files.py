"""The systemd unit and the proxy drop-in as the service module plans and writes them,
driven on a temporary unit directory: no systemd is needed (this machine has none as PID 1),
since plan_unit_files/apply_unit_files only read and write files; the systemctl part of the
plan is covered where systemd runs (molecule)."""

from __future__ import annotations

import os

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.plan import Plan
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.service import (
    DesiredService,
    apply_unit_files,
    observe_unit_files,
    plan_unit_files,
)

BINARY = "/usr/bin/containerd"
SECRET_PROXY = {"https_proxy": "http://user:pa55@proxy.test:3128", "no_proxy": "10.0.0.0/8"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="owner checks need root")


def _plan(tmp_path, proxy):
    desired = DesiredService(unit_path=str(tmp_path / "containerd.service"), proxy=proxy)
    actions, reload = plan_unit_files(desired, BINARY, *observe_unit_files(desired, BINARY))
    return Plan(actions), reload


def _state(path):
    st = os.stat(path)
    return st.st_mode & 0o7777, st.st_uid, st.st_gid


def _actions(sp):
    return [(a.kind, os.path.basename(a.target), a.reason) for a in sp.actions]


def test_a_dropin_with_credentials_is_kept_0600(tmp_path):
    sp, reload = _plan(tmp_path, SECRET_PROXY)
    assert reload and _actions(sp) == [
        ("write_unit", "containerd.service", "missing"),
        ("write_dropin", "http-proxy.conf", "missing"),
    ]
    apply_unit_files(sp)
    dropin = tmp_path / "containerd.service.d" / "http-proxy.conf"
    assert _state(dropin) == (0o600, 0, 0)
    assert _state(tmp_path / "containerd.service") == (0o644, 0, 0)
    sp, reload = _plan(tmp_path, SECRET_PROXY)
    assert (sp.actions, reload) == ([], False)

    os.chmod(dropin, 0o644)  # made readable by hand
    os.chown(dropin, 65534, 65534)
    sp, reload = _plan(tmp_path, SECRET_PROXY)
    assert _actions(sp) == [
        ("write_dropin", "http-proxy.conf", "mode 0644, not 0600, owner 65534:65534, not 0:0")
    ]
    assert not reload  # the environment is the same: no daemon-reload, no restart
    apply_unit_files(sp)
    assert _state(dropin) == (0o600, 0, 0)
    assert _plan(tmp_path, SECRET_PROXY)[0].actions == []


def test_proxy_changes_reload_and_no_proxy_removes_the_dropin(tmp_path):
    apply_unit_files(_plan(tmp_path, SECRET_PROXY)[0])
    plain = {"https_proxy": "http://proxy.test:3128"}
    sp, reload = _plan(tmp_path, plain)
    assert reload and _actions(sp) == [
        ("write_dropin", "http-proxy.conf", "content differs, mode 0600, not 0644")
    ]
    apply_unit_files(sp)
    sp, reload = _plan(tmp_path, {})
    assert reload and _actions(sp) == [("remove_dropin", "http-proxy.conf", "no proxy is set")]
    apply_unit_files(sp)
    assert not (tmp_path / "containerd.service.d" / "http-proxy.conf").exists()
