#!/usr/bin/env bash
# Prepare this machine for ocirt: Debian packages, the project virtualenv (.venv) with the
# pinned dependencies, and the ocirt package installed in editable mode.
# Safe and fast to run again: each step is skipped when its inputs have not changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p .cache

# python3-grpcio, -tomlkit, -yaml: the node agent's tests run it on the system python3
apt_packages=(containerd runc containernetworking-plugins docker-registry busybox-static
              openssl apache2-utils python3-venv iproute2 ca-certificates
              python3-grpcio python3-tomlkit python3-yaml)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${OCIRT_PYTHON:-python3}
stamp=.venv/.ocirt-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv with the pinned dependencies"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  log=.cache/pip-install.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install -q -e '.[dev]'; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
  fi
  .venv/bin/python -c "import grpc, tomlkit, ansible, ocirt"
  echo "$want" > "$stamp"
fi
