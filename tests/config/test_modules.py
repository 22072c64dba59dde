"""ocirt.containerd.config and ocirt.containerd.registry through real ansible-playbook:
check mode predicts, diff shows the file (secrets masked), a second run is changed=false
with identical bytes, comment-only edits do not ask for a restart, errors leave the file."""

from __future__ import annotations

import os

from harness.ansible_runner import run_module, run_playbook


def test_config_module_check_diff_apply_idempotent(tmp_path, series_binary):
    path = tmp_path / "config.toml"
    original = f"# managed below\nversion = {series_binary.schema}\n\n[debug]\n  level = 'info'\n"
    path.write_text(original)
    args = {
        "path": str(path),
        "containerd_binary": series_binary.path,
        "systemd_cgroup": True,
        "debug_level": "debug",
        "sandbox_image": "registry.test/pause:1",
        "settings": {"plugins": {"io.containerd.internal.v1.opt": {"path": str(tmp_path)}}},
        "backup": True,
    }
    predicted = run_module("ocirt.containerd.config", check=True, diff=True, **args)
    assert predicted["changed"] is True and predicted["restart_required"] is True
    assert path.read_text() == original  # check mode wrote nothing
    assert os.listdir(tmp_path) == ["config.toml"]
    assert predicted["diff"]["before"] == original
    assert "SystemdCgroup = true" in predicted["diff"]["after"]
    assert predicted["effective"]["systemd_cgroup"] is True
    assert predicted["config_version"] == series_binary.schema

    done = run_module("ocirt.containerd.config", diff=True, **args)
    assert done["changed"] is True and done["restart_required"] is True
    assert done["diff"]["after"] == predicted["diff"]["after"]
    assert path.read_text() == predicted["diff"]["after"]
    assert path.read_text().startswith("# managed below\n")
    assert open(done["backup_file"]).read() == original
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert done["effective"] == predicted["effective"]
    assert done["effective_source"] == "containerd config dump"

    written = path.read_bytes()
    again = run_module("ocirt.containerd.config", **args)
    assert again["changed"] is False and again["restart_required"] is False
    assert again["backup_file"] is None and again["actions"] == []
    assert path.read_bytes() == written


def test_comment_only_or_mode_only_change_needs_no_restart(tmp_path, series_binary):
    path = tmp_path / "config.toml"
    path.write_text(f"version = {series_binary.schema}\n# debugging\n[debug]\n  level = 'debug'\n")
    os.chmod(path, 0o600)
    args = {"path": str(path), "containerd_binary": series_binary.path, "debug_level": "debug"}
    # the file changes (mode 0600 -> 0644) but containerd would read the same: no restart
    fixed = run_module("ocirt.containerd.config", **args)
    assert fixed["changed"] is True and fixed["restart_required"] is False
    assert [a["action"] for a in fixed["actions"]] == ["set_mode"]
    assert os.stat(path).st_mode & 0o777 == 0o644
    # a comment edited by hand is kept and is no change
    path.write_text(path.read_text().replace("# debugging", "# debugging, see ticket 42"))
    edited = path.read_bytes()
    result = run_module("ocirt.containerd.config", **args)
    assert result["changed"] is False and result["restart_required"] is False
    assert path.read_bytes() == edited
    # the same value given through settings is no change either
    same = run_module("ocirt.containerd.config", settings={"debug": {"level": "debug"}},
                      **{k: v for k, v in args.items() if k != "debug_level"})
    assert same["changed"] is False


def test_config_module_errors_leave_the_file(tmp_path, series_binary):
    path = tmp_path / "config.toml"
    path.write_bytes(b"version = 2\n[broken\n")
    broken = run_module("ocirt.containerd.config", path=str(path),
                        containerd_binary=series_binary.path, debug_level="debug")
    assert broken["failed"] is True and "is not valid TOML" in broken["msg"]
    assert "left untouched" in broken["msg"]
    assert path.read_bytes() == b"version = 2\n[broken\n"

    path.write_text(f"version = {series_binary.schema}\n")
    bad = run_module("ocirt.containerd.config", path=str(path),
                     containerd_binary=series_binary.path, oom_score=4000)
    assert bad["failed"] is True
    assert "oom_score: 4000 is not allowed; allowed: an integer from -1000 to 1000" in bad["msg"]
    refused = run_module("ocirt.containerd.config", path=str(path),
                         containerd_binary=series_binary.path,
                         settings={"grpc": {"uid": "root"}})
    assert refused["failed"] is True and "would not load" in refused["msg"]
    assert path.read_text() == f"version = {series_binary.schema}\n"
    assert os.listdir(tmp_path) == ["config.toml"]


def test_registry_module_masks_headers_and_is_idempotent(tmp_path):
    secret = "Bearer t0ken-value"
    task = {
        "config_path": str(tmp_path),
        "host": "registry.test:5000",
        "server": "https://registry.test:5000",
        "header": {"Authorization": secret},
        "mirrors": [{"url": "https://mirror.test"}, {"url": "http://127.0.0.1:5001",
                                                     "capabilities": ["pull"]}],
    }
    tasks = [
        {"name": "check", "ocirt.containerd.registry": task, "check_mode": True,
         "diff": True},
        {"name": "apply", "ocirt.containerd.registry": task, "diff": True},
        {"name": "again", "ocirt.containerd.registry": task},
    ]
    check, apply, again = run_playbook(tasks)
    hosts = tmp_path / "registry.test:5000" / "hosts.toml"
    assert check["changed"] is True and apply["changed"] is True
    assert again["changed"] is False and again["actions"] == []
    assert secret not in str(check) + str(apply) + str(again)
    assert "********" in apply["diff"]["after"]
    text = hosts.read_text()
    assert secret in text and os.stat(hosts).st_mode & 0o777 == 0o600
    assert text.index("https://mirror.test") < text.index("http://127.0.0.1:5001")
    assert apply["restart_required"] is False

    absent = run_module("ocirt.containerd.registry", config_path=str(tmp_path),
                        host="registry.test:5000", state="absent")
    assert absent["changed"] is True and not hosts.parent.exists()


def test_registry_module_refuses_missing_or_non_pem_certificates(tmp_path):
    """Issue 16, defect 6: checked when writing (and in check mode), naming the option."""
    base = {"config_path": str(tmp_path / "certs.d"), "host": "registry.test:5000"}
    not_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"
    tasks = [
        {"name": "missing ca", "ocirt.containerd.registry": {**base, "ca": "/nonexistent/ca.pem"},
         "ignore_errors": True},
        {"name": "content", "ocirt.containerd.registry": {**base, "ca": not_pem},
         "ignore_errors": True, "check_mode": True},
        {"name": "mirror", "ocirt.containerd.registry": {
            **base, "mirrors": [{"url": "https://m.test", "client_cert": "/nonexistent/c.pem"}]},
         "ignore_errors": True},
    ]
    missing, content, mirror = run_playbook(tasks)
    assert missing["failed"] is True
    assert missing["msg"].startswith("ca: /nonexistent/ca.pem does not exist")
    assert content["failed"] is True
    assert content["msg"].startswith("ca: the content given is not a PEM certificate")
    assert mirror["failed"] is True
    assert mirror["msg"].startswith("mirrors[1].client_cert: /nonexistent/c.pem does not exist")
    assert not (tmp_path / "certs.d").exists()
