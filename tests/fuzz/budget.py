"""The fuzz suites' budget: hypothesis profiles and the per-test time bound.

``ci`` (the default) is a fixed, derandomized budget, so the test command stays bounded and
repeatable; ``long`` is for a person hunting bugs (random seeds, many more examples):
``HYPOTHESIS_PROFILE=long pytest tests/fuzz``. Neither writes an example database, so a run
leaves no files behind. The profile is applied per test (``@FUZZ``), not loaded globally,
so the other suites' hypothesis tests keep their own settings.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=20000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FUZZ = settings.get_profile(PROFILE)
#: pytest-timeout bound of one fuzz test: a hang fails the test instead of the whole run.
BOUNDED = pytest.mark.timeout(120 if PROFILE == "ci" else 4 * 3600)
