"""`ocirt ps` as a docker user reads it, and `ocirt --version` / `ocirt version`.

The wording (durations, STATUS, the quoted command) is checked without a daemon against
docker's own outputs; the columns, filters and formats against the private daemon.
"""

import datetime
import json

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from cli.test_ocirt_cli import ocirt
from cli.test_ocirt_containers import env_for
from harness.images import write_oci_archive

from ocirt.cli.ps_format import PsFilter, PsFormat, fields_of, human_duration, status_text

IMAGE = "example.test/cli/busybox:1"
NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.4, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (300, "5 minutes"),
        (3600, "About an hour"),
        (5400, "2 hours"),  # go-units rounds hours
        (47 * 3600, "47 hours"),
        (3 * 86400, "3 days"),
        (20 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_durations_are_worded_as_docker_words_them(seconds, words):
    assert human_duration(seconds) == words


def _row(**changes):
    row = {
        "id": "web",
        "image": IMAGE,
        "command": ["sh", "-c", "echo up; exec sleep 1000"],
        "created_at": NOW - datetime.timedelta(minutes=5),
        "status": "running",
        "pid": 42,
        "exit_code": None,
        "exited_at": None,
        "started_at": NOW - datetime.timedelta(minutes=4),
        "labels": {"tier": "web"},
        "restart_policy": "no",
    }
    row.update(changes)
    return row


def test_status_and_command_as_docker_shows_them():
    stopped = _row(
        status="stopped", pid=None, exit_code=3, exited_at=NOW - datetime.timedelta(minutes=2)
    )
    assert status_text(_row(), NOW) == "Up 4 minutes"
    assert status_text(_row(status="paused"), NOW) == "Up 4 minutes (Paused)"
    assert status_text(stopped, NOW) == "Exited (3) 2 minutes ago"
    assert status_text(_row(status="created", started_at=None), NOW) == "Created"
    shown = fields_of(stopped, NOW)
    assert (shown.command, shown.created, shown.pid) == (
        '"sh -c echo up; exec…"',
        "5 minutes ago",
        "",
    )
    assert fields_of(stopped, NOW, trunc=False).command == '"sh -c echo up; exec sleep 1000"'
    hex_id = "ab" * 32
    assert fields_of(_row(id=hex_id), NOW).id == hex_id[:12]
    assert fields_of(_row(id=hex_id), NOW).names == hex_id


def test_filters_match_as_docker_combines_them():
    web, db = _row(), _row(id="db", labels={"tier": "db", "x": ""}, status="stopped")
    assert PsFilter.parse(["name=^w"]).matches(web) and not PsFilter.parse(["name=^w"]).matches(db)
    assert PsFilter.parse(["name=web", "name=db"]).matches(db)  # names: any
    assert PsFilter.parse(["label=tier"]).matches(db)
    assert not PsFilter.parse(["label=tier=web", "label=x"]).matches(db)  # labels: all
    assert PsFilter.parse(["status=exited"]).matches(db)
    for bad in ["status=dead", "colour=red", "name=(", "label="]:
        with pytest.raises(InvalidInput):
            PsFilter.parse([bad])


def test_formats_go_templates_and_unknown_fields():
    assert PsFormat.parse("{{.ID}} {{.RunningFor}} {x}").template == "{id} {running_for} {{x}}"
    assert PsFormat.parse("table {{.Names}}\\t{{.State}}").table
    with pytest.raises(InvalidInput, match="no field 'nope'"):
        PsFormat.parse("{nope}")


def _containers(containerd, ns, busybox, tmp_path):
    """up (running, labelled), three (exited 3), made (created, not ocirt's)."""
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=ns)
    env = env_for(containerd, ns)
    up = ocirt("run", "-d", "--name", "up", "-l", "tier=web", IMAGE, "sleep", "1000", env=env)
    assert up.returncode == 0, up.stderr
    assert ocirt("run", "--name", "three", IMAGE, "sh", "-c", "exit 3", env=env).returncode == 3
    containerd.ctr("containers", "create", IMAGE, "made", namespace=ns)
    return env


def test_ps_columns_filters_and_formats(containerd, containerd_namespace, busybox, tmp_path):
    env = _containers(containerd, containerd_namespace, busybox, tmp_path)
    table = ocirt("ps", "-a", env=env).stdout.splitlines()
    assert table[0].split() == [
        "CONTAINER",
        "ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "STATE",
        "PORTS",
        "NAMES",
    ]
    rows = {line.split()[0]: line for line in table[1:]}
    assert set(rows) == {"up", "three", "made"}
    assert '"sleep 1000"' in rows["up"] and " Up " in rows["up"] and "ago" in rows["up"]
    assert "Exited (3) " in rows["three"] and rows["three"].rstrip().endswith("three")
    assert "Created" in rows["made"]
    assert ocirt("ps", "-q", env=env).stdout.split() == ["up"]  # running ones only
    assert ocirt("ps", "-aq", "--filter", "status=exited", env=env).stdout.split() == ["three"]
    assert ocirt("ps", "-q", "--filter", "status=created", env=env).stdout.split() == ["made"]
    assert ocirt("ps", "-aq", "-f", "label=tier=web", env=env).stdout.split() == ["up"]
    assert ocirt("ps", "-aq", "-f", "name=^t", env=env).stdout.split() == ["three"]
    shown = ocirt("ps", "-a", "--format", "{names}|{pid}|{status}", env=env).stdout.splitlines()
    pids = {line.split("|")[0]: line.split("|")[1] for line in shown}
    assert (
        pids["up"].isdigit() and pids["three"] == "" and pids["made"] == ""
    )  # no PID when stopped
    assert ocirt("ps", "--format", "{{.Names}} {{.State}}", env=env).stdout == "up running\n"
    lines = ocirt("ps", "-a", "--format", "json", env=env).stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["made", "three", "up"]
    assert json.loads(lines[1])["exit_code"] == 3 and json.loads(lines[1])["pid"] is None
    bad = ocirt("ps", "--format", "{nope}", env=env)
    assert bad.returncode == 1 and bad.stderr.startswith("ocirt: --format: no field 'nope'")


def test_version_without_and_with_a_daemon(containerd):
    alone = ocirt("--version", env={"CONTAINERD_ADDRESS": "/nonexistent"})
    assert (alone.returncode, alone.stderr) == (0, "") and alone.stdout.startswith("ocirt ")
    missing = ocirt("version", env={"CONTAINERD_ADDRESS": "/nonexistent"})
    assert missing.returncode == 1 and "Client:" in missing.stdout
    assert "Server" not in missing.stdout and missing.stderr.startswith("ocirt: no daemon version")
    daemon = json.loads(ocirt("--address", containerd.address, "info", "--json").stdout)
    both = ocirt("--address", containerd.address, "version", env={})
    assert both.returncode == 0, both.stderr
    assert f" Version:    {daemon['version']}" in both.stdout.split("Server:")[1]
    assert f" Revision:   {daemon['revision']}" in both.stdout
    reported = json.loads(ocirt("--address", containerd.address, "version", "--json").stdout)
    assert reported["server"] == {"version": daemon["version"], "revision": daemon["revision"]}
