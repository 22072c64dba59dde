"""Top-level conftest: registers the ocirt test harness (tests/harness) as a plugin."""

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:  # pyproject's pythonpath = ["tests"] does the same under pytest
    sys.path.insert(0, _here)

pytest_plugins = ["harness.plugin"]

PYINFRA_TESTS = Path(_here) / "pyinfra"


def pytest_ignore_collect(collection_path, config):
    """tests/pyinfra imports pyinfra's CLI, which monkeypatches threads, time and sockets
    with gevent for the whole process (grpc's threads then hang every later test): it is
    collected only when every path given is inside it, so it runs in a process of its own
    (scripts/test.sh runs it apart)."""
    if collection_path != PYINFRA_TESTS:
        return None
    given = [Path(a.split("::")[0]).resolve() for a in config.args]
    inside = all(PYINFRA_TESTS == p or PYINFRA_TESTS in p.parents for p in given)
    return None if given and inside else True
