"""The CRI container log files: one line per chunk, ``<RFC3339Nano> <stream> <P|F> <text>``.

containerd writes them (1.6 ``pkg/cri/io/logger.go``) at ``log_directory/log_path``; lines
longer than ``max_container_log_line_size`` are split into partial chunks tagged ``P``,
the last one ``F``. Reading joins the chunks back, as crictl's ``logs.ReadLogs`` does.
"""

from __future__ import annotations

import os
from typing import Iterable, List, Optional, TypedDict

PARTIAL, FULL = "P", "F"
STREAMS = ("stdout", "stderr")
TAIL_BLOCK = 64 * 1024


class LogLine(TypedDict):
    time: str
    stream: str
    text: str


def parse_lines(raw_lines: Iterable[str]) -> List[LogLine]:
    """Whole lines (partial chunks joined per stream); malformed lines are kept as stdout."""
    lines: List[LogLine] = []
    pending = {stream: "" for stream in STREAMS}
    for raw in raw_lines:
        raw = raw.rstrip("\n")
        parts = raw.split(" ", 3)
        if len(parts) < 3 or parts[1] not in STREAMS or parts[2] not in (PARTIAL, FULL):
            lines.append(LogLine(time="", stream="stdout", text=raw))
            continue
        when, stream, tag = parts[0], parts[1], parts[2]
        text = parts[3] if len(parts) == 4 else ""
        if tag == PARTIAL:
            pending[stream] += text
            continue
        lines.append(LogLine(time=when, stream=stream, text=pending[stream] + text))
        pending[stream] = ""
    return lines


def _last_raw_lines(path: str, count: int) -> List[str]:
    """The last ``count`` raw lines of the file (read backwards in blocks, not whole)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        end = f.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= count:
            start = max(0, end - TAIL_BLOCK)
            f.seek(start)
            data = f.read(end - start) + data
            end = start
    text = data.decode("utf-8", errors="replace")
    return text.splitlines()[-count:] if count else text.splitlines()


def read_log(path: str, tail: Optional[int] = None) -> List[LogLine]:
    """The log's lines (the last ``tail`` raw lines only, if given); [] if there is none."""
    if not path or not os.path.exists(path):
        return []
    if tail is not None:
        return parse_lines(_last_raw_lines(path, tail))
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_lines(f)
