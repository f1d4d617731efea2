#!/usr/bin/env bash
# Build the restore-target image without a registry: debootstrap a minimal Debian 12 from this
# machine's own apt sources, `docker import` it, and tag it. Same packages as the Dockerfile.
# Usage: docker/build-offline.sh TAG [RUNTIME]     (RUNTIME: docker (default) or podman)
set -euo pipefail
TAG=${1:?usage: build-offline.sh TAG [docker|podman]}
RUNTIME=${2:-docker}
PACKAGES=dovecot-imapd,dovecot-lmtpd,restic,python3,ca-certificates,postfix

mirror() {  # the first Debian mirror of this machine's apt sources
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  if [[ -z $uri ]]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

ROOTFS=$(mktemp -d /var/tmp/mailvault-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
echo "build-offline: debootstrap bookworm from $(mirror) (a minute or two)" >&2
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$(mirror)" >"$ROOTFS.log" 2>&1 || {
  tail -20 "$ROOTFS.log" >&2
  exit 1
}
rm -f "$ROOTFS.log"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
echo "build-offline: importing as $TAG" >&2
tar -C "$ROOTFS" -c . | "$RUNTIME" import --change 'CMD ["sleep", "infinity"]' - "$TAG" >/dev/null
echo "build-offline: done: $TAG" >&2
