"""What `ocirt ps` shows, the way docker shows it: which rows (``--filter``) and in which
form (the table, ``--format json``, or a format string over the named fields below).

The rows are the library's (``containers.inspect.ContainerRow``); this file only words
them for a docker user: "Up 5 minutes", "Exited (0) 2 minutes ago", ``"sh -c 'echo …"``.
Times are worded as docker's go-units ``HumanDuration`` words them.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import string
from typing import (
    TYPE_CHECKING,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Optional,
    Pattern,
    Sequence,
    Set,
    Tuple,
)

from ansible_collections.ocirt.containerd.plugins.module_utils.cni.ports import format_port

from ..client import InvalidInput
from .output import format_labels, print_json_lines, print_table

if TYPE_CHECKING:
    from ..client_containers import ContainerRow

#: docker's default `ps` table, as a format; STATE (containerd's word for the state) is
#: kept from ocirt's first table, whose readers look for "running" and "stopped"
DEFAULT_TABLE = "table {id}\t{image}\t{command}\t{created}\t{status}\t{state}\t{ports}\t{names}"
COMMAND_WIDTH = 20  # docker truncates the command to 20 characters ...
ID_WIDTH = 12  # ... and a 64-hex id to 12
_HEX_ID = re.compile(r"[0-9a-f]{64}")
_GO_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
FILTER_HELP = (
    "KEY=VALUE: name=REGEX, label=KEY[=VALUE] or status=created|running|paused|exited "
    "(repeatable: labels must all match, names and statuses any)"
)
FORMAT_HELP = (
    "table (default), json (an object a line), or a template over the fields {id} {image} "
    "{command} {created} {status} {state} {ports} {names} {labels} {pid} (docker's "
    "{{.Names}} too; 'table TEMPLATE' adds headers)"
)
#: docker's status filter words -> the library's status
STATUS_WORDS = {
    "created": "created",
    "running": "running",
    "paused": "paused",
    "exited": "stopped",
    "stopped": "stopped",
}


@dataclasses.dataclass(frozen=True)
class PsFields:
    """The fields a ``--format`` string can name (``{id}``, or docker's ``{{.ID}}``)."""

    id: str
    image: str
    command: str
    created: str  # "5 minutes ago" (docker's RunningFor)
    created_at: str
    status: str  # "Up 5 minutes", "Exited (0) 2 minutes ago", "Created"
    state: str  # created, running, paused, stopped (containerd's word)
    ports: str  # "127.0.0.1:8080->80/tcp, ..." (docker's form)
    names: str
    labels: str
    pid: str  # empty unless a process runs
    exit_code: str
    restart_policy: str

    @property
    def running_for(self) -> str:
        return self.created


_PS_FIELDS = tuple(f.name for f in dataclasses.fields(PsFields))
FIELDS = frozenset(_PS_FIELDS) | {"running_for"}
HEADERS = {"id": "CONTAINER ID", "running_for": "CREATED", "created_at": "CREATED AT"}


def human_duration(seconds: float) -> str:
    """docker's wording of a duration: "Less than a second", "About a minute", "3 days"."""
    whole = max(int(seconds), 0)
    if whole < 60:
        return {0: "Less than a second", 1: "1 second"}.get(whole, f"{whole} seconds")
    minutes = whole // 60
    if minutes < 60:
        return "About a minute" if minutes == 1 else f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)  # Go's math.Round
    if hours == 1:
        return "About an hour"
    for below, per, unit in ((48, 1, "hours"), (336, 24, "days"), (1440, 168, "weeks")):
        if hours < below:
            return f"{hours // per} {unit}"
    if hours < 24 * 730:
        return f"{hours // 720} months"
    return f"{whole // 3600 // 24 // 365} years"


def _ago(then: Optional[datetime.datetime], now: datetime.datetime) -> str:
    return f"{human_duration((now - then).total_seconds())} ago" if then else ""


def status_text(row: ContainerRow, now: datetime.datetime) -> str:
    """docker's STATUS: "Up 5 minutes", "Up 2 hours (Paused)", "Exited (0) 2 minutes ago"."""
    state, started = row["status"], row["started_at"]
    if state in ("running", "paused"):
        up = f"Up {human_duration((now - started).total_seconds())}" if started else "Up"
        return up + (" (Paused)" if state == "paused" else "")
    if state == "stopped":
        code = row["exit_code"]
        exited = "Exited" if code is None else f"Exited ({code})"
        return f"{exited} {_ago(row['exited_at'], now)}".rstrip()
    return state.capitalize()


def _quoted(command: Sequence[str], trunc: bool) -> str:
    """The command as docker prints it: joined, cut to 20 characters with "…", quoted."""
    text = " ".join(command)
    if trunc and len(text) > COMMAND_WIDTH:
        text = text[: COMMAND_WIDTH - 1] + "…"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fields_of(row: ContainerRow, now: datetime.datetime, trunc: bool = True) -> PsFields:
    short = trunc and _HEX_ID.fullmatch(row["id"])
    return PsFields(
        id=row["id"][:ID_WIDTH] if short else row["id"],
        image=row["image"],
        command=_quoted(row["command"], trunc),
        created=_ago(row["created_at"], now),
        created_at=row["created_at"].isoformat() if row["created_at"] else "",
        status=status_text(row, now),
        state=row["status"],
        ports=", ".join(format_port(p) for p in row.get("ports") or []),
        names=row["id"],
        labels=format_labels(row["labels"]),
        pid="" if row["pid"] is None else str(row["pid"]),
        exit_code="" if row["exit_code"] is None else str(row["exit_code"]),
        restart_policy=row["restart_policy"],
    )


@dataclasses.dataclass(frozen=True)
class PsFilter:
    """docker's ``--filter``: names and statuses match if any of theirs does, labels all."""

    names: Tuple[Pattern[str], ...] = ()
    labels: Tuple[Tuple[str, Optional[str]], ...] = ()
    states: FrozenSet[str] = frozenset()

    @classmethod
    def parse(cls, specs: Iterable[str]) -> PsFilter:
        names: List[Pattern[str]] = []
        labels: List[Tuple[str, Optional[str]]] = []
        states: Set[str] = set()
        for spec in specs:
            key, sep, value = spec.partition("=")
            if key == "name" and sep:
                names.append(_pattern(value))
            elif key == "label" and sep and value:
                k, has, v = value.partition("=")
                labels.append((k, v if has else None))
            elif key == "status" and value in STATUS_WORDS:
                states.add(STATUS_WORDS[value])
            else:
                raise InvalidInput(
                    f"--filter {spec!r}: use name=REGEX, label=KEY[=VALUE] or status=STATUS "
                    f"(STATUS one of {', '.join(STATUS_WORDS)})"
                )
        return cls(tuple(names), tuple(labels), frozenset(states))

    def matches(self, row: ContainerRow) -> bool:
        if self.names and not any(p.search(row["id"]) for p in self.names):
            return False
        if self.states and row["status"] not in self.states:
            return False
        got = row["labels"]
        return all(k in got and (v is None or got[k] == v) for k, v in self.labels)


def _pattern(text: str) -> Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise InvalidInput(f"--filter name={text}: not a regular expression ({exc})") from None


def select(rows: Iterable[ContainerRow], wanted: PsFilter, everything: bool) -> List[ContainerRow]:
    """The rows ``ps`` lists: running and paused ones unless -a or a status filter says."""
    every = everything or bool(wanted.states)
    return [
        r for r in rows if (every or r["status"] in ("running", "paused")) and wanted.matches(r)
    ]


@dataclasses.dataclass(frozen=True)
class PsFormat:
    """A parsed ``--format``: ``json``, or a format string, as a table when it starts with
    ``table`` (columns split at tabs, headed by their fields)."""

    template: str
    table: bool = False
    json: bool = False

    @classmethod
    def parse(cls, text: str) -> PsFormat:
        if text == "json":
            return cls("", json=True)
        if text == "table":
            text = DEFAULT_TABLE
        table = text.startswith("table ")
        template = _from_go(text[len("table ") :] if table else text).replace("\\t", "\t")
        for field in _field_names(template):
            if field not in FIELDS:
                raise InvalidInput(
                    f"--format: no field {field!r}; fields: {', '.join(sorted(FIELDS))}"
                )
        try:  # every field is a string: "{pid:>8}" works, "{labels[x]}" cannot
            _render(template, PsFields(*[""] * len(dataclasses.fields(PsFields))))
        except (LookupError, TypeError, ValueError) as exc:
            raise InvalidInput(f"--format {text!r}: {exc}") from None
        return cls(template, table=table)

    def show(self, rows: Sequence[ContainerRow], trunc: bool = True) -> None:
        if self.json:
            print_json_lines(rows)
            return
        now = datetime.datetime.now(datetime.timezone.utc)
        lines = [_render(self.template, fields_of(r, now, trunc)) for r in rows]
        if not self.table:
            for line in lines:
                print(line)
            return
        columns = self.template.split("\t")
        print_table([_header(c) for c in columns], [line.split("\t") for line in lines], empty="")


def _from_go(text: str) -> str:
    """docker's ``{{.Names}}`` as ``{names}`` (``{{.RunningFor}}`` as ``{running_for}``);
    the text around them kept literal. A string without them is a Python format already."""
    parts = _GO_FIELD.split(text)
    if len(parts) == 1:
        return text
    literal = [p.replace("{", "{{").replace("}", "}}") for p in parts[::2]]
    fields = ["{" + _CAMEL.sub("_", p).lower() + "}" for p in parts[1::2]]
    return "".join(a + b for a, b in zip(literal, [*fields, ""]))


def _field_names(template: str) -> List[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidInput(f"--format {template!r}: {exc}") from None
    return [re.split(r"[.\[]", name)[0] for _, name, _, _ in parsed if name is not None]


def _render(template: str, fields: PsFields) -> str:
    # not dataclasses.asdict, which deep-copies every string (a third of ps's formatting)
    values: Dict[str, str] = {name: getattr(fields, name) for name in _PS_FIELDS}
    values["running_for"] = fields.running_for
    return template.format_map(values)


def _header(column: str) -> str:
    return " ".join(HEADERS.get(f, f.replace("_", " ").upper()) for f in _field_names(column))
