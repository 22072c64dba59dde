"""Containers over containerd's API: a record (record.py) created in named steps (create.py),
its task moved through its states (task.py, lifecycle.py), what state it is in (state.py,
inspect.py, stats.py), its logs and exec'd commands. Options and the OCI spec are options.py
and spec.py."""
