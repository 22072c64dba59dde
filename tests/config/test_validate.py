"""Bad input, a broken existing file and a candidate containerd refuses: each gives a clear
error, and the file on disk keeps its exact bytes (and no temporary file is left)."""

from __future__ import annotations

import os

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    ConfigParseError,
    ConfigRejected,
    InvalidInput,
    UnsupportedSchema,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    config as config_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.config import (
    DesiredConfig,
)


@pytest.fixture
def config_file(tmp_path, series_binary):
    path = tmp_path / "config.toml"
    path.write_text(f"# mine\nversion = {series_binary.schema}\n[debug]\n  level = 'info'\n")
    return path


def attempt(path, binary, **kw):
    desired = DesiredConfig(path=str(path), containerd_binary=binary.path, **kw)
    return config_reconciler.apply(config_reconciler.plan(desired))


@pytest.mark.parametrize(
    "options,message",
    [
        ({"debug_level": "verbose"}, r"debug_level: 'verbose' is not allowed; allowed: trace, "
                                     r"debug, info, warn, warning, error, fatal, panic"),
        ({"oom_score": 5000}, r"oom_score: 5000 is not allowed; allowed: an integer from -1000 "
                              r"to 1000"),
        ({"systemd_cgroup": "yes"}, r"systemd_cgroup: 'yes' is not allowed; allowed: true or "
                                    r"false"),
        ({"root_dir": "var/lib"}, r"root_dir: 'var/lib' is not allowed; allowed: an absolute"),
        ({"metrics_address": "localhost"}, r"metrics_address: .* allowed: host:port"),
        ({"runtimes": {"kata": {"runtime": "x"}}},
         r"runtimes.kata: unknown key\(s\) runtime; allowed: runtime_type, binary, options"),
        ({"runtimes": {"kata": {"binary": "/usr/bin/kata"}}},
         r"runtimes.kata.runtime_type: a runtime the file does not have yet needs"),
        ({"default_runtime": "gvisor"}, r"default_runtime: 'gvisor' is not allowed; allowed: "
                                        r"a configured runtime"),
        ({"disabled_plugins": ["a b"]}, r"disabled_plugins: .* allowed: a list of strings"),
    ],
)
def test_invalid_options_name_the_option_and_what_is_allowed(config_file, series_binary,
                                                              options, message):
    before = config_file.read_bytes()
    with pytest.raises(InvalidInput, match=message):
        attempt(config_file, series_binary, options=options)
    assert config_file.read_bytes() == before
    assert os.listdir(config_file.parent) == ["config.toml"]


def test_enable_cdi_is_refused_where_containerd_would_ignore_it(config_file, series_binary):
    if series_binary.version >= (1, 7):
        attempt(config_file, series_binary, options={"enable_cdi": True})
        return
    before = config_file.read_bytes()
    with pytest.raises(InvalidInput, match=r"enable_cdi: containerd 1\.6\.\d+ does not know"):
        attempt(config_file, series_binary, options={"enable_cdi": True})
    assert config_file.read_bytes() == before


def test_broken_existing_file_is_reported_and_left_untouched(tmp_path, series_binary):
    path = tmp_path / "config.toml"
    broken = b'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n  sandbox_image = "x"\n'
    path.write_bytes(broken)
    os.chmod(path, 0o600)
    with pytest.raises(ConfigParseError, match=r"config.toml is not valid TOML: .*line 2.*"
                                               r"left untouched"):
        attempt(path, series_binary, options={"debug_level": "debug"}, backup=True)
    assert path.read_bytes() == broken
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["config.toml"]  # no backup, no temporary file


def test_candidate_refused_by_containerd_returns_its_message(config_file, series_binary):
    before = config_file.read_bytes()
    with pytest.raises(ConfigRejected) as err:
        attempt(config_file, series_binary, settings={"oom_score": "very low"})
    text = str(err.value)
    assert f"containerd {'.'.join(map(str, series_binary.version))}" in text
    assert "would not load the new configuration, so it was not installed" in text
    # containerd's own words (its TOML decoder differs between 1.x and 2.x)
    assert ("Can't convert very low(string) to int" in text
            or "cannot decode TOML string into struct field config.Config.OOMScore" in text)
    assert config_file.read_bytes() == before
    assert os.listdir(config_file.parent) == ["config.toml"]


def test_newer_schema_than_containerd_reads_is_refused(tmp_path, series_binary):
    path = tmp_path / "config.toml"
    path.write_text("version = 3\n")
    if series_binary.schema == 3:
        with pytest.raises(UnsupportedSchema, match=r"reads config versions up to 3, not 4|"
                                                     r"allowed: 2 .*3"):
            config_reconciler.plan(DesiredConfig(path=str(path), config_version=4,
                                      containerd_binary=series_binary.path))
        return
    # containerd 1.6 itself would start with a version 3 file and ignore its CRI settings
    with pytest.raises(UnsupportedSchema, match=r"is config version 3, newer than version 2"):
        attempt(path, series_binary, options={"debug_level": "debug"})
    assert path.read_text() == "version = 3\n"


def test_explicit_version_the_binary_cannot_read(tmp_path, series_binary):
    if series_binary.schema != 2:
        pytest.skip("a 1.x containerd shows this")
    with pytest.raises(UnsupportedSchema, match=r"reads config versions up to 2, not 3"):
        config_reconciler.plan(DesiredConfig(path=str(tmp_path / "c.toml"), config_version=3,
                                  containerd_binary=series_binary.path))
    assert not (tmp_path / "c.toml").exists()


def test_settings_cannot_change_the_version_line(config_file, series_binary):
    with pytest.raises(InvalidInput, match=r"settings.version"):
        attempt(config_file, series_binary, settings={"version": 1})


def test_missing_binary_is_a_clear_error(tmp_path):
    with pytest.raises(Exception, match=r"containerd_binary /nonexistent/containerd is not an "
                                        r"executable file"):
        config_reconciler.plan(DesiredConfig(path=str(tmp_path / "c.toml"),
                                  containerd_binary="/nonexistent/containerd"))
