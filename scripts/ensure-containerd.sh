#!/usr/bin/env bash
# Make sure the machine's own containerd answers on /run/containerd/containerd.sock.
# Under systemd: enable and start the unit. Without systemd as PID 1 (containers, CI, this
# kind of machine): start containerd detached, with a pid file and a log file, and wait
# (bounded) until it answers; on failure print its last log lines.
set -euo pipefail
address=${CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}
log=/var/log/containerd.log
pidfile=/run/containerd/containerd.pid

answers() { ctr --address "$address" version >/dev/null 2>&1; }

answers && exit 0
if [ -d /run/systemd/system ]; then
  systemctl enable --now containerd
else
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "containerd (pid $(cat "$pidfile")) is running but not answering yet"
  else
    mkdir -p "$(dirname "$pidfile")"
    echo "starting containerd without systemd (log: $log)"
    setsid containerd >>"$log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
  fi
fi
for _ in $(seq 1 150); do
  answers && exit 0
  sleep 0.2
done
echo "containerd did not answer on $address within 30 s; last log lines:" >&2
tail -n 20 "$log" >&2 2>/dev/null || journalctl -u containerd -n 20 --no-pager >&2 || true
exit 1
