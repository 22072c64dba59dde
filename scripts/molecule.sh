#!/usr/bin/env bash
# Molecule scenarios on qemu VMs: bash scripts/molecule.sh [SCENARIO...|all]
#
# Sets up (the project's .venv; qemu, qemu-img and debootstrap from Debian), builds the VM
# base image or finds it up to date (molecule/vm/build-base-image.sh, cached in
# ${OCIRT_VM_CACHE:-/var/cache/ocirt-vm}), then runs `molecule test -s SCENARIO` for each
# scenario (default: `default`; `all`: every molecule/*/molecule.yml), prints the time of
# each step, and checks that no qemu process and no overlay was left behind.
# Timings go to .cache/molecule-timings-SCENARIO.json, and a table of every scenario run is
# printed at the end. MOLECULE_ARGS adds molecule options.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh

host_packages=(qemu-system-x86 qemu-utils debootstrap openssh-client e2fsprogs zstd xz-utils)
missing=()
for p in "${host_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "molecule.sh: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

start=$(date +%s)
bash molecule/vm/build-base-image.sh
echo "molecule.sh: base image ready after $(($(date +%s) - start)) s"

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(default)
if [ "${scenarios[*]}" = all ]; then
  scenarios=()
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi

export PATH="$top/.venv/bin:$PATH"
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}
mkdir -p .cache
rc=0
for s in "${scenarios[@]}"; do
  echo "== molecule test -s $s"
  rm -f ".cache/molecule-timings-$s.json"
  # shellcheck disable=SC2086
  molecule test -s "$s" ${MOLECULE_ARGS:-} 2>&1 |
    python3 molecule/vm/molecule_timings.py --json ".cache/molecule-timings-$s.json" ||
    rc=1
done

timings=()
for s in "${scenarios[@]}"; do
  [ ! -f ".cache/molecule-timings-$s.json" ] || timings+=(".cache/molecule-timings-$s.json")
done
[ ${#timings[@]} -eq 0 ] || python3 molecule/vm/molecule_timings.py --table "${timings[@]}"
python3 molecule/vm/vmctl.py leaks --glob "${HOME}/.ansible/tmp/molecule.*/vms/*/disk.qcow2" || rc=1
echo "molecule.sh: ${scenarios[*]}: $([ $rc = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start)) s"
exit $rc
