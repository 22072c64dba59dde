"""`ocirt events`: what containerd does, as it happens, until Ctrl-C.

One line per event, as ``ctr events`` prints them (time, namespace, topic, then the
payload's ids, pids and exit status), or one JSON object per line with ``--json``. Events
are those of the command's namespace unless ``--all-namespaces``; filters are containerd's
own (``topic=="/tasks/exit"``) or docker-like shortcuts (``container=web``).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
from typing import Any, Dict, List, Optional

from ansible_collections.ocirt.containerd.plugins.module_utils.api.events import (
    SHORTCUTS,
    Event,
    event_filters,
    subscribe,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

_FILTER_HELP = (
    'containerd filter on namespace, topic and event.<field> (topic=="/tasks/exit"; '
    "comma-separated terms are AND-ed, several --filter OR-ed), or a shortcut: "
    + ", ".join(f"{key}=..." for key in SHORTCUTS)
)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    events = sub.add_parser("events", parents=[common], help="show containerd's events live")
    events.add_argument(
        "-f", "--filter", action="append", default=[], metavar="FILTER", help=_FILTER_HELP
    )
    events.add_argument(
        "-A", "--all-namespaces", action="store_true", help="events of every namespace"
    )
    events.set_defaults(run=run_events)


def _time(value: Optional[datetime.datetime]) -> str:
    return value.isoformat().replace("+00:00", "Z") if value is not None else "-"


def _summary(event: Event) -> str:
    """The payload's words and numbers as key=value (lists, maps, flags and times left out:
    --json has them)."""
    if event.payload is None:
        return f"type={event.type_url or '-'}"
    words = [
        f"{key}={value}"
        for key, value in event.payload.items()
        if (isinstance(value, str) and value) or (type(value) is int)
    ]
    return " ".join(words)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        return _time(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def event_record(event: Event) -> Dict[str, Any]:
    """What --json prints for an event; an unknown payload keeps its bytes (base64)."""
    record: Dict[str, Any] = {
        "timestamp": _time(event.timestamp),
        "namespace": event.namespace,
        "topic": event.topic,
        "type": event.type_url,
        "event": _jsonable(event.payload),
    }
    if event.payload is None:
        record["raw"] = _jsonable(event.raw)
    return record


def event_line(event: Event) -> str:
    return f"{_time(event.timestamp)} {event.namespace} {event.topic} {_summary(event)}".rstrip()


def run_events(args: argparse.Namespace, conn: Connection) -> int:
    namespace = None if args.all_namespaces else args.namespace
    filters: List[str] = event_filters(namespace, args.filter)
    with subscribe(conn, filters) as events:
        for event in events:
            text = (
                json.dumps(event_record(event), sort_keys=True) if args.json else event_line(event)
            )
            print(text, flush=True)
    return 0
