"""Printing for the CLI: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any, Iterable, Sequence, TextIO


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(value: Any, out: TextIO = sys.stdout) -> None:
    json.dump(value, out, indent=2, sort_keys=True, default=_default)
    out.write("\n")


def print_json_lines(values: Iterable[Any], out: TextIO = sys.stdout) -> None:
    """One compact JSON object a line (docker's ``--format json``), for ``jq`` and ``grep``."""
    for value in values:
        out.write(json.dumps(value, sort_keys=True, default=_default) + "\n")


def print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    out: TextIO = sys.stdout,
    empty: str = "-",
) -> None:
    """Columns padded to their widest cell, headers in capitals, like ctr and docker; an
    empty cell shows as ``empty`` (docker's ps leaves it blank)."""
    cells = [[str(h).upper() for h in headers]] + [
        [empty if c is None or c == "" else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for r in cells:
        out.write("   ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")


def format_labels(labels: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
