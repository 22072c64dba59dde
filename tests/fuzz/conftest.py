"""The fuzz suites: hypothesis profiles are registered in budget.py (``ci`` by default,
``HYPOTHESIS_PROFILE=long`` by hand)."""

from . import budget  # noqa: F401  (registers the profiles before any test module loads)
