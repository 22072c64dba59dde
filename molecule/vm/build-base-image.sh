#!/usr/bin/env bash
# Build the Debian 12 base image that every Molecule scenario boots (see molecule/README.md).
#
# Output, outside the work tree, in ${OCIRT_VM_CACHE:-/var/cache/ocirt-vm}/base/:
#   base.raw      ext4 root file system (read-only; VMs boot qcow2 overlays of it)
#   vmlinux       the image's kernel, uncompressed (boots faster under TCG)
#   initrd.img    a small initrd (virtio_pci, virtio_blk, ext4 only)
#   id_ed25519    SSH key pair authorized for root in the image
#   inputs.sha256 hash of this script, packages.txt and the host's APT sources
#   packages.list what is installed in the image; cached-debs.list what is only downloaded
#
# Rebuilt only when inputs.sha256 changes (or with --force). The Debian mirror is the one
# this machine's APT uses (read from /etc/apt/sources.list.d/*.sources or sources.list at
# run time; OCIRT_VM_MIRROR overrides it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${OCIRT_VM_CACHE:-/var/cache/ocirt-vm}
suite=bookworm
force=0
[ "${1:-}" = "--force" ] && force=1

log() { printf '%s build-base-image: %s\n' "$(date +%T)" "$*" >&2; }

# Packages of one section ([base], [image], [cache]) of packages.txt.
section() {
  awk -v want="[$1]" '/^\[/ {cur=$1; next} /^[[:space:]]*(#|$)/ {next} cur==want {print $1}' \
    "$here/packages.txt"
}

host_sources() {
  cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true
}

# The first URI whose suites include $suite, in deb822 or one-line format.
mirror_uri() {
  python3 - "$suite" <<'PY'
import glob
import sys

suite = sys.argv[1]
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    with open(path) as f:
        for stanza in f.read().split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if ":" in line and not line.lstrip().startswith("#"):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and suite in fields.get("suites", []):
                print(fields["uris"][0])
                sys.exit(0)
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = [w for w in line.split("#")[0].split() if not w.startswith("[")]
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            print(words[1])
            sys.exit(0)
sys.exit(f"no APT source for {suite} on this machine: set OCIRT_VM_MIRROR")
PY
}

inputs_hash() {
  { cat "$here/build-base-image.sh" "$here/packages.txt"; host_sources; } | sha256sum | cut -d' ' -f1
}

want=$(inputs_hash)
out=$cache/base
if [ "$force" = 0 ] && [ "$(cat "$out/inputs.sha256" 2>/dev/null)" = "$want" ]; then
  log "up to date: $out ($want)"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
# Another build may have finished while we waited for the lock.
if [ "$force" = 0 ] && [ "$(cat "$out/inputs.sha256" 2>/dev/null)" = "$want" ]; then
  log "up to date: $out"
  exit 0
fi

for tool in debootstrap mkfs.ext4 ssh-keygen zstd xz; do
  command -v "$tool" >/dev/null || { log "missing $tool (run scripts/molecule.sh, which installs it)"; exit 1; }
done

start=$(date +%s)
work=$cache/build
root=$work/root
new=$work/out
mirror=${OCIRT_VM_MIRROR:-$(mirror_uri)}

cleanup() {
  for m in dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
  done
  return 0
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$root" "$new"

base_pkgs=$(section base | paste -sd, -)
log "debootstrap $suite (minbase + $base_pkgs)"
debootstrap --variant=minbase --components=main --include="$base_pkgs" \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# APT and dpkg: fast and lean, no daemons started while building.
echo 'force-unsafe-io' >"$root/etc/dpkg/dpkg.cfg.d/ocirt-unsafe-io"
cat >"$root/etc/apt/apt.conf.d/90ocirt" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Binary::apt::APT::Keep-Downloaded-Packages "true";
EOF
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# The same APT sources as this machine (same mirror, same snapshot if it pins one).
rm -f "$root/etc/apt/sources.list"
if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
fi
[ -s /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

image_pkgs=$(section image | paste -sd' ' -)
cache_pkgs=$(section cache | paste -sd' ' -)
log "apt-get install $image_pkgs; download only: $cache_pkgs"
{
  in_root apt-get update -q
  # shellcheck disable=SC2086
  in_root apt-get install -y -q $image_pkgs
  # Only the packages below stay in the image's APT cache (not debootstrap's).
  in_root apt-get clean
  # shellcheck disable=SC2086
  in_root apt-get install -y -q --download-only $cache_pkgs
} >"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log" >&2; exit 1; }
for p in $cache_pkgs; do
  if in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    log "$p is installed in the image, but must only be cached"; exit 1
  fi
  compgen -G "$root/var/cache/apt/archives/${p}_*.deb" >/dev/null || {
    log "$p was not downloaded"; exit 1; }
done

# A small initrd: only what mounts a virtio ext4 root. Other modules (overlay,
# br_netfilter, ...) stay loadable from the root file system.
cat >"$root/etc/initramfs-tools/conf.d/ocirt.conf" <<'EOF'
MODULES=list
COMPRESS=zstd
EOF
printf 'virtio_pci\nvirtio_blk\next4\n' >"$root/etc/initramfs-tools/modules"
log "update-initramfs (MODULES=list)"
in_root update-initramfs -u -k all >"$work/initramfs.log" 2>&1 || {
  tail -n 30 "$work/initramfs.log" >&2; exit 1; }
for m in overlay br_netfilter; do
  in_root sh -c "find /lib/modules -name '$m.ko*' | grep -q ." || { log "no $m module"; exit 1; }
done

# Boot speed-ups and the network of QEMU's user networking (static: no DHCP client).
cat >"$root/etc/systemd/network/10-eth0.network" <<'EOF'
[Match]
Name=eth0

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
DNS=10.0.2.3
EOF
rm -f "$root/etc/resolv.conf"
echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
systemctl --root="$root" enable systemd-networkd.service ssh.service >/dev/null 2>&1
systemctl --root="$root" disable networking.service >/dev/null 2>&1 || true
systemctl --root="$root" mask systemd-networkd-wait-online.service getty@tty1.service \
  serial-getty@ttyS0.service e2scrub_all.timer e2scrub_reap.service apt-daily.timer \
  apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer systemd-pstore.service \
  man-db.timer >/dev/null 2>&1
cat >"$root/etc/ssh/sshd_config.d/ocirt.conf" <<'EOF'
UseDNS no
PermitRootLogin prohibit-password
PasswordAuthentication no
EOF
echo '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 0' >"$root/etc/fstab"
echo ocirt-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tocirt-vm\n' >"$root/etc/hosts"
# Empty: each VM gets its own id (systemd.machine_id= on the kernel command line).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

ssh-keygen -q -t ed25519 -N '' -C ocirt-vm -f "$new/id_ed25519"
install -d -m 700 "$root/root/.ssh"
install -m 600 "$new/id_ed25519.pub" "$root/root/.ssh/authorized_keys"

rm -f "$root/usr/sbin/policy-rc.d"
in_root dpkg-query -W -f='${Package} ${Version}\n' >"$new/packages.list"
(cd "$root/var/cache/apt/archives" && ls ./*.deb | sed 's|^\./||') >"$new/cached-debs.list"

# The uncompressed kernel (what the kernel's scripts/extract-vmlinux does).
log "extracting vmlinux"
python3 - "$root"/boot/vmlinuz-* "$new/vmlinux" <<'PY'
import subprocess
import sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
formats = [
    (b"\x28\xb5\x2f\xfd", ["zstd", "-dcq"]),
    (b"\xfd7zXZ\x00", ["xz", "-dcq"]),
    (b"\x1f\x8b\x08", ["gzip", "-dcq"]),
]
for magic, cmd in formats:
    pos = data.find(magic)
    while pos != -1:
        out = subprocess.run(cmd, input=data[pos:], capture_output=True).stdout
        if out[:4] == b"\x7fELF":
            open(dst, "wb").write(out)
            sys.exit(0)
        pos = data.find(magic, pos + 1)
sys.exit(f"no compressed ELF kernel found in {src}")
PY
cp "$root"/boot/initrd.img-* "$new/initrd.img"

cleanup
log "mkfs.ext4 -d"
mkfs.ext4 -q -L ocirt-root -d "$root" -F "$new/base.raw" 4G >/dev/null
chmod 0444 "$new/base.raw"
echo "$want" >"$new/inputs.sha256"
rm -rf "$out"
mv "$new" "$out"
rm -rf "$work"
log "built $out in $(($(date +%s) - start)) s ($(du -sh --apparent-size "$out/base.raw" | cut -f1) apparent, $(du -sh "$out/base.raw" | cut -f1) used)"
