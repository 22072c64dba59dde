#!/usr/bin/env bash
# The main job: set this machine up, make sure containerd runs, and show what it is.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
bash scripts/ensure-containerd.sh
.venv/bin/ansible-playbook playbooks/info.yml
.venv/bin/ocirt info
