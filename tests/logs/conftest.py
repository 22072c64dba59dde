"""The container fixtures (busybox images, a Connection, private log roots, ``make``) are
those of tests/containers; the daemon with a fast restart monitor, its namespace and
connection those of the restart-monitor race tests (module-scoped: a daemon per module)."""

from containers.conftest import conn, image_archives, make, paths  # noqa: F401
from containers.test_restart_monitor_race import monitored, race_conn, race_ns  # noqa: F401
