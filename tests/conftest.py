"""Top-level conftest: registers the ocirt test harness (tests/harness) as a plugin."""

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:  # pyproject's pythonpath = ["tests"] does the same under pytest
    sys.path.insert(0, _here)

pytest_plugins = ["harness.plugin"]
