"""The times ``logs --since`` and ``--until`` take, in docker's forms, as Unix nanoseconds.

docker (``api/types/time.GetTimestamp``) accepts an RFC 3339 time (``2024-05-01T10:00:00Z``,
with fractions or an offset; without a zone it is the local time), a date alone, Unix
seconds with an optional fraction (``1714557600.5``), or a Go duration before now (``10m``,
``1h30m``, ``90s``).
"""

from __future__ import annotations

import datetime
import re
import time
from typing import Optional

from ..common.errors import InvalidInput

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_UNIX = re.compile(r"^(\d+)(?:\.(\d{1,9}))?$")
_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$")


def _duration_ns(text: str) -> Optional[int]:
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return int(sum(float(n) * _UNIT_NS[u] for n, u in parts))


def _rfc3339_ns(text: str) -> Optional[int]:
    value = text.replace("z", "Z").replace("Z", "+00:00")
    extra_ns = 0
    m = _FRACTION.match(value)
    if m:  # fromisoformat takes at most microseconds before 3.11
        digits = (m.group(2) + "000000000")[:9]
        value, extra_ns = m.group(1) + m.group(3), int(digits)
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # docker: no zone means the local time
    return int(parsed.timestamp()) * 1_000_000_000 + extra_ns


def parse_time(text: str, option: str, now_ns: Optional[int] = None) -> int:
    """Unix nanoseconds of ``text``; InvalidInput naming ``option`` and the forms."""
    text = str(text).strip()
    unix = _UNIX.match(text)
    if unix:
        return int(unix.group(1)) * 1_000_000_000 + int((unix.group(2) or "0").ljust(9, "0"))
    ago = _duration_ns(text)
    if ago is not None:
        return (time.time_ns() if now_ns is None else now_ns) - ago
    at = _rfc3339_ns(text)
    if at is not None:
        return at
    raise InvalidInput(
        f"{option}: {text!r} is not a time; use RFC 3339 (2024-05-01T10:00:00Z), Unix "
        "seconds (1714557600) or a duration before now (10m, 1h30m)"
    )


def time_ns(stamp: str) -> Optional[int]:
    """Unix nanoseconds of a record's ``time`` (None if it is not one)."""
    return _rfc3339_ns(stamp) if stamp else None
