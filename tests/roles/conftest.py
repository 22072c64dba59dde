"""The role tests install from the release archives that tests/install builds and serves,
and run against a temporary root that is cleaned up with the daemon they started."""

import pytest
from harness.site_root import site_root
from install.conftest import release_server, releases  # noqa: F401 (fixtures)


@pytest.fixture
def root():
    with site_root() as path:
        yield path
