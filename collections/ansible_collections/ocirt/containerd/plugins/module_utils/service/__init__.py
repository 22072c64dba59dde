"""Running containerd as a service: a systemd unit where systemd is PID 1, otherwise a
detached process with a pid file and a log file (see reconcile/service.py)."""
