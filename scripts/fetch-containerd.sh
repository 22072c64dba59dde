#!/usr/bin/env bash
# Fetch Debian's containerd for another series and unpack it into the project cache:
#
#   scripts/fetch-containerd.sh 1.7 2.1
#
# 1.7 comes from the suite trixie, 2.1 from sid. The binaries end up in
#   ${OCIRT_CACHE:-<repo>/.cache}/containerd/<series>/usr/bin/{containerd,ctr,containerd-shim-runc-v2}
#
# The .deb is downloaded with `apt-get download` under a PRIVATE apt configuration (own
# sources list, lists, cache, status file, no system apt.conf.d parts) so the machine's apt
# state and sources are never touched. The mirror address is read at run time from this
# machine's apt sources. Release files are verified with the machine's Debian archive
# keyring; if it lacks the keys for the suite, a newer debian-archive-keyring .deb is fetched
# from the machine's own (verifiable) suite into the cache and used instead.
#
# Idempotent: a series whose containerd binary is already cached and answers --version is
# skipped without any network access. Set OCIRT_FETCH_FORCE=1 to fetch again.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${OCIRT_CACHE:-$top/.cache}
# OCIRT_DEBIAN_KEYRING overrides the keyring tried first (for testing the fallback).
system_keyring=${OCIRT_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

log() { echo "fetch-containerd: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  echo "usage: $0 VERSION...   (VERSION is 1.7 or 2.1; 1.6 is the system's and a no-op)" >&2
  exit 2
}

suite_for() {
  case "$1" in
    1.7) echo trixie ;;
    2.1) echo sid ;;
    *) return 1 ;;
  esac
}

# The Debian mirror of this machine: first non-security "deb" URI of its apt sources.
mirror_uri() {
  local f uri
  # deb822 .sources files
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk '
      function flush() {
        if (done) return
        if (types ~ /(^| )deb( |$)/ && uris != "" && suites !~ /security/ && enabled != "no") {
          split(uris, u, " "); print u[1]; done = 1; exit
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"   { $1 = ""; types = $0 }
      tolower($1) == "uris:"    { $1 = ""; sub(/^ +/, ""); uris = $0 }
      tolower($1) == "suites:"  { $1 = ""; suites = $0 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { flush() }
    ' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return 0; fi
  done
  # one-line format
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    uri=$(awk '
      $1 == "deb" {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i+1) !~ /security/) { print $i; exit }
      }
    ' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return 0; fi
  done
  return 1
}

# The machine's own release codename (bookworm), whose Release the system keyring verifies.
own_suite() {
  # shellcheck disable=SC1091
  . /etc/os-release
  echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
}

# apt_run DIR SUITE KEYRING ARGS... : apt-get with a private configuration rooted at DIR.
apt_setup() {
  local dir=$1 suite=$2 keyring=$3 mirror arch valid proxy
  mirror=$(mirror_uri) || die "no Debian mirror found in /etc/apt/sources.list{,.d}"
  arch=$(dpkg --print-architecture)
  mkdir -p "$dir"/{empty,lists/partial,cache/archives/partial,log}
  : > "$dir/status"
  printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" > "$dir/sources.list"
  # Carry over the machine's own settings that matter for reaching its mirror.
  valid=$(apt-config dump --format '%v%n' Acquire::Check-Valid-Until 2>/dev/null || true)
  proxy=$(apt-config dump --format '%v%n' Acquire::http::Proxy 2>/dev/null || true)
  {
    echo "Dir::Etc::main \"/dev/null\";"
    echo "Dir::Etc::parts \"$dir/empty\";"
    echo "Dir::Etc::sourcelist \"$dir/sources.list\";"
    echo "Dir::Etc::sourceparts \"$dir/empty\";"
    echo "Dir::Etc::trusted \"$dir/empty/none.gpg\";"
    echo "Dir::Etc::trustedparts \"$dir/empty\";"
    echo "Dir::Etc::preferences \"/dev/null\";"
    echo "Dir::Etc::preferencesparts \"$dir/empty\";"
    echo "Dir::State \"$dir\";"
    echo "Dir::State::lists \"$dir/lists\";"
    echo "Dir::State::status \"$dir/status\";"
    echo "Dir::State::extended_states \"$dir/extended_states\";"
    echo "Dir::Cache \"$dir/cache\";"
    echo "Dir::Cache::archives \"$dir/cache/archives\";"
    echo "Dir::Cache::pkgcache \"\";"
    echo "Dir::Cache::srcpkgcache \"\";"
    echo "Dir::Log \"$dir/log\";"
    echo "APT::Architecture \"$arch\";"
    echo "APT::Architectures { \"$arch\"; };"
    echo "Acquire::Languages \"none\";"
    echo "Acquire::GzipIndexes \"true\";"
    # Downloads land in the project cache, which the _apt user may not reach; apt would
    # fall back to root anyway, with a warning.
    echo "APT::Sandbox::User \"root\";"
    echo "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled \"false\";"
    echo "Acquire::AllowInsecureRepositories \"false\";"
    echo "Acquire::AllowDowngradeToInsecureRepositories \"false\";"
    if [ -n "$valid" ]; then echo "Acquire::Check-Valid-Until \"$valid\";"; fi
    if [ -n "$proxy" ]; then echo "Acquire::http::Proxy \"$proxy\";"; fi
  } > "$dir/apt.conf"
}

apt_private() {
  local dir=$1; shift
  APT_CONFIG="$dir/apt.conf" apt-get -q "$@"
}

# Download package PKG from SUITE into DEST (a directory); echo the .deb path.
download_deb() {
  local suite=$1 pkg=$2 dest=$3 keyring=$4
  local dir="$cache/apt/$suite" out
  apt_setup "$dir" "$suite" "$keyring"
  local rc=0
  out=$(apt_private "$dir" update 2>&1) || rc=$?
  if echo "$out" | grep -qE 'NO_PUBKEY|EXPKEYSIG|BADSIG|is not signed|GPG error'; then
    echo "$out" >&2
    return 3  # not verifiable with this keyring
  fi
  if [ "$rc" != 0 ] || echo "$out" | grep -q '^E: '; then
    echo "$out" >&2
    return 4
  fi
  mkdir -p "$dest"
  rm -f "$dest"/"$pkg"_*.deb
  (cd "$dest" && apt_private "$dir" download "$pkg" >&2)
  ls "$dest"/"$pkg"_*.deb
}

# A keyring that verifies SUITE: the machine's own, else a newer debian-archive-keyring
# fetched (and verified with the machine's keyring) from the machine's own suite.
newer_keyring() {
  local own dest deb
  own=$(own_suite)
  dest="$cache/keyring"
  if [ -s "$dest/usr/share/keyrings/debian-archive-keyring.gpg" ]; then
    echo "$dest/usr/share/keyrings/debian-archive-keyring.gpg"; return 0
  fi
  log "fetching a newer debian-archive-keyring from $own (verified by $system_keyring)"
  deb=$(download_deb "$own" debian-archive-keyring "$cache/downloads" "$system_keyring") \
    || die "cannot fetch debian-archive-keyring from $own"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  dpkg-deb -x "$deb" "$dest.tmp"
  rm -rf "$dest"; mv "$dest.tmp" "$dest"
  rm -f "$deb"
  echo "$dest/usr/share/keyrings/debian-archive-keyring.gpg"
}

installed_ok() {
  local bin="$cache/containerd/$1/usr/bin"
  [ -x "$bin/containerd" ] && [ -x "$bin/ctr" ] && [ -x "$bin/containerd-shim-runc-v2" ] \
    && "$bin/containerd" --version >/dev/null 2>&1
}

fetch_one() {
  local series=$1 suite dest deb rc=0 tmp keyring=$system_keyring
  if [ "$series" = 1.6 ]; then
    log "1.6: Debian 12's own containerd (/usr/bin, apt package containerd): nothing to fetch"
    return 0
  fi
  suite=$(suite_for "$series") || usage
  dest="$cache/containerd/$series"
  if [ "${OCIRT_FETCH_FORCE:-0}" != 1 ] && installed_ok "$series"; then
    log "$series: cached: $("$dest/usr/bin/containerd" --version)"
    return 0
  fi
  log "$series: downloading containerd from Debian $suite"
  deb=$(download_deb "$suite" containerd "$cache/downloads/$series" "$keyring") || rc=$?
  if [ "$rc" = 3 ]; then
    log "$series: $suite is not verifiable with $keyring; trying a newer keyring"
    keyring=$(newer_keyring)
    rc=0
    deb=$(download_deb "$suite" containerd "$cache/downloads/$series" "$keyring") || rc=$?
  fi
  [ "$rc" = 0 ] || die "$series: download of containerd from $suite failed"
  tmp="$dest.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  dpkg-deb -x "$deb" "$tmp"
  dpkg-deb -f "$deb" Package Version Depends > "$tmp/DEBIAN-control"
  rm -rf "$dest"; mv "$tmp" "$dest"
  rm -f "$deb"
  installed_ok "$series" || die "$series: unpacked containerd does not run: $dest/usr/bin/containerd"
  log "$series: $("$dest/usr/bin/containerd" --version) (from $(basename "$deb"))"
}

[ $# -ge 1 ] || usage
for v in "$@"; do
  [ "$v" = 1.6 ] || suite_for "$v" >/dev/null || usage
done
mkdir -p "$cache"
# One fetch at a time per cache (parallel test sessions may call this together).
exec 9>"$cache/.fetch-containerd.lock"
flock 9
for v in "$@"; do
  fetch_one "$v"
done
