"""Labels ocirt keeps on container records, and containerd's restart monitor labels.

Everything the library needs to manage a container later (log path, stop signal, the
desired configuration it was made from, the last exit) lives on the container record itself,
so no state file on the node can drift from what containerd has.
"""

from __future__ import annotations

import datetime
from typing import Optional

MANAGED = "io.ocirt/managed"
CONFIG_HASH = "io.ocirt/config-hash"
IMAGE_DIGEST = "io.ocirt/image-digest"
LOG_PATH = "io.ocirt/log-path"
#: the log URI tasks are created with ("" for none); absent on containers made before it,
#: which log to ``file://`` + LOG_PATH
LOG_URI = "io.ocirt/log-uri"
STOP_SIGNAL = "io.ocirt/stop-signal"
STOP_TIMEOUT = "io.ocirt/stop-timeout"
STARTED_AT = "io.ocirt/started-at"
#: pid of the task ocirt started: another pid means the restart monitor replaced it
STARTED_PID = "io.ocirt/started-pid"
EXIT_CODE = "io.ocirt/exit-code"
EXITED_AT = "io.ocirt/exited-at"
OOM_KILLED = "io.ocirt/oom-killed"
#: on a container's snapshot: "<pid>:<start ticks>:<lease>" of the process creating it
CREATOR = "io.ocirt/creator"
#: Container extension holding the canonical desired configuration (JSON).
CONFIG_EXTENSION = "io.ocirt/config"
CONFIG_TYPE_URL = "io.ocirt/ContainerConfig"

# containerd's restart monitor (runtime/restart/restart.go). 1.6 knows only STATUS and the
# log labels (every container with status=running is restarted: policy "always"); POLICY,
# COUNT and EXPLICITLY_STOPPED arrived with 1.7. The monitor checks every 10 s by default.
RESTART_STATUS = "containerd.io/restart.status"
RESTART_POLICY = "containerd.io/restart.policy"
RESTART_LOG_URI = "containerd.io/restart.loguri"
RESTART_COUNT = "containerd.io/restart.count"
RESTART_EXPLICITLY_STOPPED = "containerd.io/restart.explicitly-stopped"
RESTART_LABELS = (
    RESTART_STATUS,
    RESTART_POLICY,
    RESTART_LOG_URI,
    RESTART_COUNT,
    RESTART_EXPLICITLY_STOPPED,
)

#: How STARTED_AT and EXITED_AT hold a time (UTC, microseconds).
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(ts: Optional[datetime.datetime] = None) -> str:
    """A time as a label value; now if none is given."""
    return (ts or datetime.datetime.now(datetime.timezone.utc)).strftime(_TIME_FORMAT)


def parse_time(text: Optional[str]) -> Optional[datetime.datetime]:
    """A time label's value (None if unset or not a time)."""
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
