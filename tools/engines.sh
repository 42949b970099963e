#!/usr/bin/env bash
# Container engines for the RuntimeDefault proof (tests/kubernetes/test_engines_real.py):
# Debian's containerd (ctr), docker.io and podman, and nothing started: the tests start private
# daemons (own sockets, state and data dirs) and stop them afterwards. The packages' init
# scripts are kept from starting system-wide daemons during the install (policy-rc.d).
# Idempotent; a no-op when everything is present. Needs root.
set -euo pipefail
need=()
[ -x /usr/bin/containerd ] && [ -x /usr/bin/ctr ] || need+=(containerd)
[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || need+=(docker.io)
[ -x /usr/bin/podman ] || need+=(podman)
[ -f /usr/share/containers/seccomp.json ] || need+=(golang-github-containers-common)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "tools/engines.sh: missing ${need[*]} (run it as root)" >&2
  exit 1
fi
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends "${need[@]}" >/tmp/seccomp-kit-engines.$$.log 2>&1 \
  || { cat /tmp/seccomp-kit-engines.$$.log >&2; rm -f /tmp/seccomp-kit-engines.$$.log; exit 1; }
rm -f /tmp/seccomp-kit-engines.$$.log
for p in "${need[@]}"; do
  echo "installed $p $(dpkg-query -W -f='${Version}' "$p")"
done
