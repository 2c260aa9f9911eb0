#!/bin/bash
# tests/docker/base-image.sh — make sure the image debian:trixie-slim exists in the
# local Docker engine, without needing an image registry.
#
# Usage: tests/docker/base-image.sh            (needs a running engine: see engine.sh)
#
# Order of attempts (the first that works wins; nothing is redone on a second run):
#   1. the image is already in the engine                    -> nothing to do
#   2. `docker pull debian:trixie-slim` (skipped when PARLEY_NO_PULL=1; bounded by a timeout)
#   3. the cached root file system /var/cache/parley-test/debian-trixie-minbase.tar.gz
#      (PARLEY_CACHE_DIR overrides the folder) is imported with `docker import`
#   4. `debootstrap --variant=minbase trixie` from $DEBIAN_MIRROR (default
#      http://deb.debian.org/debian) into a temporary folder, trimmed like the official
#      slim image (no docs, man pages or locales), saved to the cache, then imported.
# Installs debootstrap with apt-get when it is missing. Idempotent; safe to run
# concurrently (flock on the cache folder). Prints one line on success, e.g.
#   base-image: debian:trixie-slim ready (imported from cache, 84 MB)
# Exit status: 0 ready; 77 when it cannot be made (reason on stderr) so callers can skip.
set -euo pipefail

IMAGE=${BASE_IMAGE:-debian:trixie-slim}
SUITE=${BASE_SUITE:-trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE_DIR=${PARLEY_CACHE_DIR:-/var/cache/parley-test}
TARBALL=$CACHE_DIR/debian-$SUITE-minbase.tar.gz

die77() { echo "base-image: $*" >&2; exit 77; }
size_of() { docker image inspect -f '{{.Size}}' "$IMAGE" 2>/dev/null | awk '{printf "%d MB", $1/1000000}'; }

docker info >/dev/null 2>&1 || die77 "no Docker engine answers (run tests/docker/engine.sh first)"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	echo "base-image: $IMAGE ready (already present, $(size_of))"
	exit 0
fi

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.base-image.lock"
flock -w 1200 9 || die77 "timed out waiting for another base-image.sh"

# Another run may have finished while we waited for the lock.
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	echo "base-image: $IMAGE ready (made by a concurrent run, $(size_of))"
	exit 0
fi

if [ "${PARLEY_NO_PULL:-0}" != 1 ] && timeout 60 docker pull -q "$IMAGE" >/dev/null 2>&1; then
	echo "base-image: $IMAGE ready (pulled, $(size_of))"
	exit 0
fi

import_tarball() {
	docker import \
	    -c 'CMD ["bash"]' \
	    -c 'ENV LANG=C.UTF-8' \
	    -m "debootstrap --variant=minbase $SUITE $MIRROR" \
	    "$TARBALL" "$IMAGE" >/dev/null
}

if [ -s "$TARBALL" ]; then
	import_tarball || die77 "docker import of $TARBALL failed"
	echo "base-image: $IMAGE ready (imported from cache $TARBALL, $(size_of))"
	exit 0
fi

[ "$(id -u)" = 0 ] || die77 "debootstrap needs root"
if ! command -v debootstrap >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq debootstrap; } >/dev/null 2>&1 ||
	    die77 "cannot install debootstrap with apt-get"
fi

ROOT=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
trap 'rm -rf "$ROOT" "$TARBALL.tmp"' EXIT
START=$(date +%s)
if ! timeout 1200 debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" \
    >"$CACHE_DIR/debootstrap.log" 2>&1; then
	tail -5 "$CACHE_DIR/debootstrap.log" >&2
	die77 "debootstrap $SUITE failed (log: $CACHE_DIR/debootstrap.log)"
fi

# Trim and configure like the official slim images (docker-library/debuerreotype).
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-no-recommends" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CFG
echo 'Acquire::Languages "none";' >"$ROOT/etc/apt/apt.conf.d/docker-no-languages"
echo "deb $MIRROR $SUITE main" >"$ROOT/etc/apt/sources.list"
find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* \
    "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
    "$ROOT"/var/log/* "$ROOT"/tmp/* "$ROOT"/root/.bash_history
: >"$ROOT/etc/hostname"
: >"$ROOT/etc/resolv.conf"

tar --numeric-owner --xattrs -C "$ROOT" -czf "$TARBALL.tmp" .
mv "$TARBALL.tmp" "$TARBALL"
import_tarball || die77 "docker import failed"
echo "base-image: $IMAGE ready (debootstrap in $(( $(date +%s) - START ))s, cached $TARBALL, $(size_of))"
