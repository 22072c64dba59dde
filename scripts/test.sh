#!/usr/bin/env bash
# The whole test suite: set up, lint (ruff, with its complexity rules), type check (mypy),
# Ansible sanity, the collection's conventions (ansible-lint, docs lint, changelog lint),
# pytest against private containerd daemons of every supported series (fetched and cached on
# first use) and local registries (with the galaxy build and install, and every module's
# EXAMPLES executed), and every Molecule scenario on VMs.
#
# The Molecule stage (the scenarios of $ci_scenarios; OCIRT_MOLECULE=0 skips it,
# OCIRT_MOLECULE="NAME..." or OCIRT_MOLECULE=all runs those instead) runs beside the rest: its VMs are CPU-bound (TCG), the pytest series
# mostly wait on containerd and runc, so the two share the cores instead of adding up. Its
# output is kept in .cache/molecule.log and printed when pytest is done; the run fails if
# either fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
# Left out of CI for its budget (README, "Scenarios on VMs"): fleet (two VMs at once, 4 TCG
# vCPUs on 2 cores) and gitops (each timer tick starts ansible-pull, git and ansible-playbook
# under TCG: 8+ minutes).
ci_scenarios="default workloads airgap kubernetes-node pyinfra"
scenarios=${OCIRT_MOLECULE:-$ci_scenarios}
molecule_pid=""
if [ $# -eq 0 ] && [ "$scenarios" != 0 ]; then
  echo "== molecule ($scenarios) started beside the suite, output in .cache/molecule.log"
  # shellcheck disable=SC2086
  setsid bash scripts/molecule.sh $scenarios >.cache/molecule.log 2>&1 </dev/null &
  molecule_pid=$!
  # Ended early (a lint failure, Ctrl-C): stop the scenarios; molecule.sh's VMs go with
  # their qemu processes' overlays, which the next run's leak check reports if not.
  trap '[ -z "$molecule_pid" ] || kill -TERM -- -"$molecule_pid" 2>/dev/null || true' EXIT
fi
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
  rc=0
  .venv/bin/python -m pytest --ignore=tests/reconcile || rc=$?  # tests/reconcile ran first
  # apart: pyinfra's CLI monkeypatches the process with gevent (tests/conftest.py)
  echo "== pytest tests/pyinfra (a process of its own)"
  .venv/bin/python -m pytest tests/pyinfra || rc=$?
  if [ -n "$molecule_pid" ]; then
    echo "== molecule ($scenarios): waiting for the VMs"
    mrc=0
    wait "$molecule_pid" || mrc=$?
    molecule_pid=""
    cat .cache/molecule.log
    [ "$mrc" = 0 ] || { echo "== molecule failed (rc $mrc)"; rc=1; }
  fi
  exit "$rc"
else
  .venv/bin/python -m pytest "$@"
fi
