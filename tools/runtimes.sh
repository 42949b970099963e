#!/usr/bin/env bash
# Real OCI runtimes for the conformance suite (seccomp_kit/testing/runtimes.py):
#   - this host's runc and crun (Debian 12: runc 1.1.5, crun 1.8.1, libseccomp 2.5.4) and
#     busybox-static (the containers' rootfs);
#   - a Debian 13 ("trixie") chroot with its runc, crun and libseccomp (2.6.0), built with
#     mmdebstrap from the mirror apt already uses here, under $SECCOMP_KIT_TRIXIE_ROOT
#     (default /var/cache/seccomp-kit/trixie). The versions it got are written to
#     $ROOT/.seccomp-kit-versions.
#     Trixie's crun runs through the chroot's dynamic loader (ld-linux-x86-64.so.2
#     --library-path ...). Trixie's runc cannot: it re-executes /proc/self/exe ("runc init"),
#     which is then the loader, which takes "init" for the program to load. So a copy of it,
#     $ROOT/.seccomp-kit/bin/runc, gets the chroot's loader as ELF interpreter and the chroot's
#     library dirs as DT_RPATH (patchelf); /proc/self/exe is then that copy and works unchanged.
# Idempotent; a no-op taking well under a second when everything is present. Needs root.
# Prints one line per thing it installs.
set -euo pipefail

ROOT="${SECCOMP_KIT_TRIXIE_ROOT:-/var/cache/seccomp-kit/trixie}"
VERSIONS="$ROOT/.seccomp-kit-versions"

need=()
command -v runc >/dev/null || need+=(runc)
command -v crun >/dev/null || need+=(crun)
[ -x /bin/busybox ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null \
  | grep -q 'ok installed' || need+=(busybox-static)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v patchelf >/dev/null || need+=(patchelf)
PATCHED="$ROOT/.seccomp-kit/bin/runc"

if [ ${#need[@]} -eq 0 ] && [ -s "$VERSIONS" ] && [ -x "$ROOT/usr/sbin/runc" ] \
  && [ -x "$ROOT/usr/bin/crun" ] && [ -x "$PATCHED" ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "tools/runtimes.sh: missing ${need[*]:-} ${ROOT} (run it as root)" >&2
  exit 1
fi

if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
    >/dev/null 2>/tmp/seccomp-kit-apt.$$.log || { cat /tmp/seccomp-kit-apt.$$.log >&2; exit 1; }
  rm -f /tmp/seccomp-kit-apt.$$.log
  for p in "${need[@]}"; do
    echo "installed $p $(dpkg-query -W -f='${Version}' "$p")"
  done
fi

# The Debian mirror apt uses for this host's release (first URI whose suites include the
# release codename itself, e.g. "bookworm", not "bookworm-security").
mirror() {
  local codename uri
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME}")"
  uri="$(
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v c="$codename" '
      /^[[:space:]]*$/ { if (u != "" && ok) { print u; exit } u = ""; ok = 0; next }
      /^URIs:/ { u = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == c) ok = 1 }
      END { if (u != "" && ok) print u }' | head -n1
  )"
  if [ -z "$uri" ]; then
    uri="$(
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk -v c="$codename" '$1 == "deb" {
            for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { u = $i; s = $(i + 1); break }
            if (s == c) { print u; exit } }'
    )"
  fi
  [ -n "$uri" ] || { echo "tools/runtimes.sh: no Debian mirror found in apt sources" >&2; exit 1; }
  echo "${uri%/}"
}

if ! [ -s "$VERSIONS" ] || ! [ -x "$ROOT/usr/sbin/runc" ] || ! [ -x "$ROOT/usr/bin/crun" ]; then
  MIRROR="$(mirror)"
  tmp="$ROOT.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$ROOT")"
  trap 'rm -rf "$tmp"' EXIT
  mmdebstrap --quiet --mode=root --variant=minbase \
    --include=runc,crun,libseccomp2 \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    trixie "$tmp" "$MIRROR trixie main" >/dev/null 2>"$tmp.log" \
    || { cat "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
  rm -f "$tmp.log"
  {
    echo "mirror=$MIRROR"
    for p in runc crun libseccomp2 libc6; do
      echo "$p=$(chroot "$tmp" dpkg-query -W -f='${Version}' "$p")"
    done
  } >"$tmp/.seccomp-kit-versions"
  rm -rf "$ROOT"
  mv "$tmp" "$ROOT"
  trap - EXIT
  echo "installed trixie chroot $ROOT ($(tr '\n' ' ' <"$VERSIONS"))"
fi

if ! [ -x "$PATCHED" ]; then
  mkdir -p "$(dirname "$PATCHED")"
  cp "$ROOT/usr/sbin/runc" "$PATCHED.tmp"
  LIBS="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/lib/x86_64-linux-gnu"
  patchelf --set-interpreter "$ROOT/lib64/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$LIBS" \
    "$PATCHED.tmp"
  "$PATCHED.tmp" --version >/dev/null
  mv "$PATCHED.tmp" "$PATCHED"
  echo "installed $PATCHED (trixie runc, ELF interpreter and rpath pointing into $ROOT)"
fi
