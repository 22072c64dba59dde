"""Live per-blob progress bars for `ocirt pull` and `ocirt image import`.

On a terminal, one line per blob is redrawn in place (bytes, percentage, speed); elsewhere one
line is printed as each blob completes, so logs stay readable. The bars are drawn from the
pull's writer threads: if stderr goes away (a closed pipe), they stop drawing instead of
failing the pull.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Dict, List, TextIO


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GiB"


class _Blob:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.finished = False


class ProgressBars:
    def __init__(self, out: TextIO = sys.stderr, width: int = 30) -> None:
        self.out = out
        self.width = width
        self.tty = out.isatty()
        self.blobs: Dict[str, _Blob] = {}
        self.order: List[str] = []
        self.lock = threading.Lock()
        self.drawn = 0
        self.last_draw = 0.0
        self.gone = False  # the output went away; stop drawing

    def __call__(self, digest: str, n: int, total: int) -> None:
        with self.lock:
            blob = self.blobs.get(digest)
            if blob is None:
                blob = self.blobs[digest] = _Blob(total)
                self.order.append(digest)
            blob.done = min(blob.total, blob.done + n)
            just_finished = blob.done >= blob.total and not blob.finished
            blob.finished = blob.done >= blob.total
            try:
                self._draw(digest, just_finished)
            except OSError:
                self.gone = True

    def _draw(self, digest: str, just_finished: bool) -> None:
        if self.gone:
            return
        if self.tty:
            now = time.monotonic()
            if just_finished or now - self.last_draw > 0.1:
                self._redraw()
                self.last_draw = now
        elif just_finished:
            self.out.write(self._line(digest) + "\n")
            self.out.flush()

    def _line(self, digest: str) -> str:
        blob = self.blobs[digest]
        fraction = blob.done / blob.total if blob.total else 1.0
        filled = int(self.width * fraction)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = max(time.monotonic() - blob.started, 1e-6)
        speed = human_size(blob.done / elapsed) + "/s"
        state = "done" if blob.finished else speed
        short = digest.split(":", 1)[-1][:12]
        return (
            f"{short} [{bar}] {human_size(blob.done):>10} / {human_size(blob.total):<10} "
            f"{fraction * 100:5.1f}% {state}"
        )

    def _redraw(self) -> None:
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F")
        for digest in self.order:
            self.out.write("\x1b[2K" + self._line(digest) + "\n")
        self.drawn = len(self.order)
        self.out.flush()

    def finish(self) -> None:
        with self.lock:
            if self.tty and self.order and not self.gone:
                try:
                    self._redraw()
                except OSError:
                    self.gone = True
