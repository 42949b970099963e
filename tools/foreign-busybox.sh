#!/usr/bin/env bash
# What the porting proof (tests/algebra/test_port_proof.py) runs: qemu-user-static, and Debian's
# busybox-static for arm64, armhf and i386, unpacked under $SECCOMP_KIT_FOREIGN_ROOT
# (default /var/cache/seccomp-kit/foreign/<arch>/bin/busybox). The foreign packages are fetched
# with a private apt configuration (own source list, lists and cache dirs, APT::Architectures set
# for that one call) so no foreign architecture is ever added to the system's dpkg.
# Idempotent; a no-op when everything is present. Needs root for the qemu package.
set -euo pipefail

ROOT="${SECCOMP_KIT_FOREIGN_ROOT:-/var/cache/seccomp-kit/foreign}"
ARCHES=(arm64 armhf i386)

if ! command -v qemu-aarch64-static >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "tools/foreign-busybox.sh: qemu-user-static is missing (run it as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-user-static >/dev/null
  echo "installed qemu-user-static $(dpkg-query -W -f='${Version}' qemu-user-static)"
fi

missing=()
for a in "${ARCHES[@]}"; do
  [ -x "$ROOT/$a/bin/busybox" ] || missing+=("$a")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Same release and mirror as the system's own apt sources.
codename="$(. /etc/os-release && echo "${VERSION_CODENAME}")"
uri="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null \
  | awk -v c="$codename" '$2 == c { print $1; exit }')"
[ -n "$uri" ] || uri="http://deb.debian.org/debian/"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/sources.list.d"
archlist="$(IFS=,; echo "${missing[*]}")"
echo "deb [arch=$archlist] $uri $codename main" >"$tmp/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$tmp/sources.list" -o "Dir::Etc::SourceParts=$tmp/sources.list.d"
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
  -o "APT::Architectures=$archlist" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" update -qq
for a in "${missing[@]}"; do
  (cd "$tmp" && apt-get "${apt_opts[@]}" download -qq "busybox-static:$a")
  deb="$(ls "$tmp"/busybox-static_*_"$a".deb)"
  rm -rf "$ROOT/$a.tmp"
  mkdir -p "$ROOT/$a.tmp"
  dpkg-deb -x "$deb" "$ROOT/$a.tmp"
  dpkg-deb -f "$deb" Version >"$ROOT/$a.tmp/.version"
  rm -rf "${ROOT:?}/$a"
  mv "$ROOT/$a.tmp" "$ROOT/$a"
  echo "unpacked busybox-static:$a $(cat "$ROOT/$a/.version") into $ROOT/$a"
done
