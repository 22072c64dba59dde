"""The container fixtures (busybox images, a Connection, private log roots, ``make``) are
those of tests/containers."""

from containers.conftest import conn, image_archives, make, paths  # noqa: F401
