#!/usr/bin/env bash
# The whole test suite: set up, lint, Ansible sanity, pytest against private containerd
# daemons of every supported series (fetched and cached on first use) and local registries,
# then the Molecule default scenario on a real VM.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
export OCIRT_CONTAINERD_VERSIONS=${OCIRT_CONTAINERD_VERSIONS:-1.6,1.7,2.1}
for series in ${OCIRT_CONTAINERD_VERSIONS//,/ }; do
  [ "$series" = 1.6 ] || bash scripts/fetch-containerd.sh "$series"
done
echo "== ruff"
.venv/bin/ruff check .
echo "== ansible-test sanity"
bash scripts/sanity.sh
echo "== pytest (containerd $OCIRT_CONTAINERD_VERSIONS)"
.venv/bin/python -m pytest "$@"
# The whole suite (no pytest arguments) also converges a real VM; OCIRT_MOLECULE=0 skips it.
if [ $# -eq 0 ] && [ "${OCIRT_MOLECULE:-1}" != 0 ]; then
  echo "== molecule test -s default (a Debian 12 VM under qemu)"
  bash scripts/molecule.sh default
fi
