"""Fixtures of the configuration tests: each selected containerd series as a binary.

Most tests here need only the binary (`config default`, `config dump`, `config migrate`),
not a running daemon; test_daemon_config.py starts private daemons with rendered files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest
from harness.daemon import ensure_containerd
from harness.plugin import selected_series

DATA = Path(__file__).parent / "data"


class SeriesBinary:
    def __init__(self, series: str):
        self.series = series
        self.bin_dir = ensure_containerd(series)
        self.path = str(self.bin_dir / "containerd")
        self.schema = 2 if series.startswith("1.") else 3

    @property
    def version(self) -> Tuple[int, int, int]:
        from ansible_collections.ocirt.containerd.plugins.module_utils.config.binary import (
            ContainerdBinary,
        )

        return ContainerdBinary(self.path).version

    def __repr__(self) -> str:
        return f"<containerd {self.series} {self.path}>"


@pytest.fixture(scope="session", params=selected_series(), ids=str)
def series_binary(request: pytest.FixtureRequest) -> SeriesBinary:
    return SeriesBinary(request.param)


@pytest.fixture(scope="session")
def debian_config() -> str:
    """Debian 12's shipped /etc/containerd/config.toml (a copy, so tests do not depend on
    the machine's file)."""
    return (DATA / "debian12-config.toml").read_text()
