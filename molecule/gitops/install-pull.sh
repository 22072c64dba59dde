#!/bin/sh
# Run on the node by converge.yml (ansible.builtin.script): install what bundle.py packed.
#
#   install-pull.sh BUNDLE PREFIX
#
# - PREFIX/venv: ansible-core from the bundle's wheels (pip run from its own wheel; no index,
#   no network; `python3 -m venv --without-pip` needs no python3-venv package)
# - PREFIX/collections: the collection ocirt.containerd (ANSIBLE_COLLECTIONS_PATH of the unit)
# - PREFIX/images/busybox.tar: the image archive the state document imports
# - /usr/local/lib/ocirt/ocirt.pyz: the node agent (`ocirt diff` with the node's python3)
#
# Prints `unchanged` when PREFIX/installed already names this bundle's sha256 (written last,
# so an interrupted install is done again), else `installed`.
set -eu
bundle=$1
prefix=$2
sum=$(sha256sum "$bundle" | cut -d' ' -f1)
if [ "$(cat "$prefix/installed" 2>/dev/null || true)" = "$sum" ]; then
  echo unchanged
  exit 0
fi

unpacked=$prefix/unpacked
rm -rf "$unpacked" "$prefix/installed"
mkdir -p "$prefix" "$unpacked"
tar -xf "$bundle" -C "$unpacked"

rm -rf "$prefix/venv"
python3 -m venv --without-pip "$prefix/venv"
pip_whl=$(ls "$unpacked"/wheels/pip-*.whl)
"$prefix/venv/bin/python" "$pip_whl/pip" install -q --disable-pip-version-check \
  --no-index --find-links "$unpacked/wheels" --no-compile ansible-core

rm -rf "$prefix/collections" "$prefix/images"
mv "$unpacked/collections" "$unpacked/images" "$prefix/"
install -D -m 0755 "$unpacked/ocirt.pyz" /usr/local/lib/ocirt/ocirt.pyz
rm -rf "$unpacked"

echo "$sum" >"$prefix/installed"
echo installed
