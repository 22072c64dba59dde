"""The role tests install from the release archives that tests/install builds and serves."""

from install.conftest import release_server, releases  # noqa: F401 (fixtures)
