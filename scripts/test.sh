#!/usr/bin/env bash
# The whole test suite: set up, lint (ruff, with its complexity rules), type check (mypy),
# Ansible sanity, the collection's conventions (ansible-lint, docs lint, changelog lint),
# pytest against private containerd daemons of every supported series (fetched and cached on
# first use) and local registries (with the galaxy build and install, and every module's
# EXAMPLES executed), then the Molecule default scenario on a VM.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
echo "== pytest tests/reconcile (planners from data, no daemon)"
CONTAINERD_ADDRESS=/nonexistent .venv/bin/python -m pytest -q tests/reconcile
# The series default is the test harness's own (every supported one, tests/harness/plugin.py).
default_series=$(cd tests &&
  ../.venv/bin/python -c 'from harness.plugin import DEFAULT_VERSIONS; print(DEFAULT_VERSIONS)')
export OCIRT_CONTAINERD_VERSIONS=${OCIRT_CONTAINERD_VERSIONS:-$default_series}
for series in ${OCIRT_CONTAINERD_VERSIONS//,/ }; do
  [ "$series" = 1.6 ] || bash scripts/fetch-containerd.sh "$series"
done
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== ansible-test sanity"
bash scripts/sanity.sh
# The collection conventions (offline: no Galaxy, the collection found through ansible.cfg).
collection=collections/ansible_collections/ocirt/containerd
export PATH="$top/.venv/bin:$PATH"  # the linters run ansible-doc and ansible-playbook
echo "== ansible-lint (production profile, whole repository)"
ansible-lint --offline --nocolor -q
echo "== antsibull-docs lint-collection-docs"
(cd "$collection" && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all .)
echo "== antsibull-changelog lint"
(cd "$collection" && antsibull-changelog lint)
echo "== pytest (containerd $OCIRT_CONTAINERD_VERSIONS)"
if [ $# -eq 0 ]; then
  .venv/bin/python -m pytest --ignore=tests/reconcile  # already run first
  # apart: pyinfra's CLI monkeypatches the process with gevent (tests/conftest.py)
  echo "== pytest tests/pyinfra (a process of its own)"
  .venv/bin/python -m pytest tests/pyinfra
else
  .venv/bin/python -m pytest "$@"
fi
# The whole suite (no pytest arguments) also converges a real VM; OCIRT_MOLECULE=0 skips it.
if [ $# -eq 0 ] && [ "${OCIRT_MOLECULE:-1}" != 0 ]; then
  echo "== molecule test -s default (a Debian 12 VM under qemu)"
  bash scripts/molecule.sh default
fi
