#!/usr/bin/env bash
# System packages the library and its tests use: libseccomp (compiling and loading filters),
# strace (the recorder's least-privilege check), procps (sysctl), a C compiler (the audit
# parser's extension, built by hatch_build.py).
set -euo pipefail
need=()
ldconfig -p | grep -q 'libseccomp\.so\.2' || need+=(libseccomp2)
command -v strace >/dev/null || need+=(strace)
command -v jq >/dev/null || need+=(jq)  # the docs' examples pipe JSON through jq
command -v sysctl >/dev/null || need+=(procps)
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them as root)" >&2
    exit 1
  fi
fi
# Real runtimes for the conformance tests: Debian 12's runc and crun here, Debian 13's in a
# chroot (tools/runtimes.sh); Debian 12's containerd, docker.io and podman for the RuntimeDefault
# proof (tools/engines.sh, no daemon started). Both idempotent, fast when everything is present.
if [ "$(id -u)" = 0 ] && [ "${SECCOMP_KIT_NO_RUNTIMES:-0}" != 1 ]; then
  bash "$(dirname "$0")/runtimes.sh"
  bash "$(dirname "$0")/engines.sh"
fi
# qemu-user-static and Debian's arm64/i386 busybox-static for the porting proof (no foreign
# architecture is added to the system).
if [ "$(id -u)" = 0 ] && [ "${SECCOMP_KIT_NO_FOREIGN:-0}" != 1 ]; then
  bash "$(dirname "$0")/foreign-busybox.sh"
fi
