#!/usr/bin/env bash
# Run `ansible-test sanity` on the ocirt.containerd collection without reaching Ansible's CI
# file host.
#
#   scripts/sanity.sh [COLLECTION_DIR] [ansible-test sanity options...]
#
# COLLECTION_DIR defaults to collections/ansible_collections/ocirt/containerd (relative to the
# repository root); it must end in .../ansible_collections/<namespace>/<name>. Other options
# go to ansible-test as they are, e.g. `scripts/sanity.sh --test validate-modules`.
# By default every sanity test runs except pylint and pep8 (ruff covers those); shellcheck and
# pslint skip themselves with a warning when shellcheck or pwsh is not installed.
#
# How it works offline: ansible-test installs each sanity test's requirements into its own
# virtualenv, made without pip. To put pip there it runs a get-pip script it downloads from
# its CI file host, unless ~/.ansible/test/cache/get_pip_<version>.py already exists. This
# script writes a stand-in there that installs pip from a pip wheel taken from the package
# index. HOME is pointed at .cache/ansible-test/home while ansible-test runs, so that script
# and the sanity virtualenvs (~/.ansible/test/venv) are kept under .cache and reused. The
# requirement wheels are also downloaded once to .cache/ansible-test/wheels, so a virtualenv
# can be rebuilt without an index. Delete .cache/ansible-test to start again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

collection=$top/collections/ansible_collections/ocirt/containerd
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  collection=$1
  shift
  if [ ! -d "$collection" ] && [ -d "$top/$collection" ]; then
    collection=$top/$collection
  fi
fi
if [ ! -d "$collection" ]; then
  echo "sanity: no collection directory at $collection" >&2
  exit 2
fi
collection=$(cd "$collection" && pwd)
case $collection in
  */ansible_collections/*/*) ;;
  *) echo "sanity: $collection is not .../ansible_collections/<namespace>/<name>" >&2; exit 2 ;;
esac

venv=${OCIRT_SANITY_VENV:-$top/.venv}
python=$venv/bin/python
if [ ! -x "$venv/bin/ansible-test" ]; then
  echo "sanity: $venv/bin/ansible-test not found; run scripts/setup.sh first" >&2
  exit 2
fi

cache=$top/.cache/ansible-test
home=$cache/home
wheels=$cache/wheels
mkdir -p "$home" "$wheels"

# The pip version ansible-test bootstraps into its virtualenvs, and the Python version.
read -r pip_version py_version < <("$python" -c '
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
v = "%d.%d" % sys.version_info[:2]
print(get_venv_packages(types.SimpleNamespace(version=v))["pip"], v)')

# 1. The get-pip stand-in, next to the pip wheel it installs.
bootstrap_dir=$home/.ansible/test/cache
get_pip=$bootstrap_dir/get_pip_${pip_version//./_}.py
pip_wheel=$bootstrap_dir/pip-$pip_version-py3-none-any.whl
if [ ! -f "$pip_wheel" ]; then
  echo "sanity: downloading the pip $pip_version wheel"
  mkdir -p "$bootstrap_dir"
  "$python" -m pip download -q --no-deps --only-binary=:all: -d "$bootstrap_dir" "pip==$pip_version"
fi
if [ ! -f "$get_pip" ]; then
  cat > "$get_pip.tmp" <<EOF
"""Offline stand-in for get-pip.py, written by scripts/sanity.sh.

ansible-test runs this in a new virtualenv without pip, passing pip install options, the
packages to install (pip==$pip_version) and --no-setuptools/--no-wheel. Like get-pip.py it
puts a pip wheel on sys.path and runs 'pip install --upgrade --force-reinstall'; the wheel is
the file next to this script rather than one embedded in it.
"""
import argparse
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-$pip_version-py3-none-any.whl")


def main():
    if not os.path.isfile(WHEEL):
        sys.exit("get-pip stand-in: %s is missing; run scripts/sanity.sh again" % WHEEL)
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--no-setuptools", action="store_true")
    parser.add_argument("--no-wheel", action="store_true")
    options, args = parser.parse_known_args(sys.argv[1:])
    # pip itself comes from the wheel, never from an index
    args = [WHEEL if arg == "pip==$pip_version" else arg for arg in args]
    if not options.no_setuptools:
        args.append("setuptools")
    if not options.no_wheel:
        args.append("wheel")
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main
    sys.exit(pip_main(["install", "--upgrade", "--force-reinstall"] + args))


if __name__ == "__main__":
    main()
EOF
  mv "$get_pip.tmp" "$get_pip"
fi

# 2. The sanity tests' pinned requirements, as wheels, once per ansible-test version.
requirements_dir=$("$python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements"))')
requirement_files=()
requirements=()
for f in "$requirements_dir"/sanity.*.txt; do
  case $f in */sanity.pylint.txt|*/sanity.pep8.txt) continue ;; esac
  requirement_files+=("$f")
  requirements+=(-r "$f")
done
stamp=$(cat "${requirement_files[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$wheels/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "sanity: downloading the sanity tests' requirements to $wheels"
  if "$python" -m pip download -q --only-binary=:all: -d "$wheels" "${requirements[@]}"; then
    echo "$stamp" > "$wheels/.stamp"
  else
    echo "sanity: warning: could not download every requirement; ansible-test will use the index" >&2
  fi
fi

# 3. ansible-test with HOME under .cache. Keep the real user's pip and git configuration.
real_home=$HOME
if [ -z "${PIP_CONFIG_FILE:-}" ]; then
  for f in "$real_home/.config/pip/pip.conf" "$real_home/.pip/pip.conf"; do
    if [ -f "$f" ]; then export PIP_CONFIG_FILE=$f; break; fi
  done
fi
if [ -z "${GIT_CONFIG_GLOBAL:-}" ] && [ -f "$real_home/.gitconfig" ]; then
  export GIT_CONFIG_GLOBAL=$real_home/.gitconfig
fi
# An environment variable replaces find-links from pip's configuration files, so carry those over.
find_links=${PIP_FIND_LINKS:-$("$python" -m pip config list 2>/dev/null \
  | sed -n "s/^[a-z]*\.find-links='\(.*\)'$/\1/p" | tr '\n' ' ')}
export PIP_FIND_LINKS="$wheels${find_links:+ $find_links}"
export HOME=$home

skips=()
case " $* " in
  *" --test "*|*" --test="*) ;;
  *) skips=(--skip-test pylint --skip-test pep8) ;;
esac

cd "$collection"
echo "sanity: ansible-test sanity in $collection"
exec "$venv/bin/ansible-test" sanity --python "$py_version" "${skips[@]}" "$@"
