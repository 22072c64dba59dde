#!/usr/bin/env bash
# The main job: set this machine up and run the reference deployment (site.yml) on the
# default inventory (this machine): containerd installed from Debian packages, configured,
# started (detached where PID 1 is not systemd), the demo image built offline and imported,
# the demo container running. Then show what runs. A second run reports no change.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
.venv/bin/ansible-playbook site.yml
echo
.venv/bin/ocirt info
echo
.venv/bin/ocirt ps
.venv/bin/ocirt logs ocirt-demo
