#!/usr/bin/env bash
# Makes the base image the Dockerfiles start FROM (default debian:bookworm-slim)
# available on a Docker engine that cannot pull from a registry: if the image
# is missing and cannot be pulled, it is built locally with mmdebstrap from the
# package sources this machine's apt already uses, then `docker import`ed.
# Nothing about those sources is written into the repository.
# Usage: docker/base-image.sh [IMAGE]     (run as root; idempotent)
set -euo pipefail
image=${1:-${BASE:-debian:bookworm-slim}}

if docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi
if timeout 30 docker pull -q "$image" >/dev/null 2>&1; then
  echo "base-image: pulled $image"
  exit 0
fi

echo "base-image: $image is not available and cannot be pulled; building it with mmdebstrap"
if ! command -v mmdebstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The host's apt sources (one-line and deb822 files), handed to mmdebstrap on stdin.
sources="$work/sources"
: >"$sources"
[ -f /etc/apt/sources.list ] && grep -Ev '^\s*(#|$)' /etc/apt/sources.list >>"$sources" || true
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  cat "$f" >>"$sources"
  echo >>"$sources"
done

# A fixed timestamp makes the tarball reproducible for the same package versions.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
mmdebstrap --quiet --variant=minbase --format=tar \
  --include=ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --aptopt='Acquire::Retries "3"' \
  bookworm "$work/rootfs.tar" - <"$sources"

docker import --change 'CMD ["bash"]' "$work/rootfs.tar" "$image" >/dev/null
echo "base-image: built $image ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
