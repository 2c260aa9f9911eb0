#!/bin/bash
# tests/docker/compose-v2.sh — print a command that runs Docker Compose v2, obtaining it
# from Debian's packages when the machine has only Compose v1.
#
# Usage: COMPOSE2=$(tests/docker/compose-v2.sh) && $COMPOSE2 version
# Order: `docker compose` when the docker CLI has the v2 plugin; the cached binary
# /var/cache/parley-test/compose-v2/docker-compose (PARLEY_CACHE_DIR overrides the
# folder); else Debian trixie's docker-compose package (v2, a static Go program) is
# installed in a throw-away debian:trixie-slim container and its binary copied to the
# cache. Needs a running engine (engine.sh) for that last step; runs base-image.sh.
# Exit status: 0 and the command on stdout; 77 when no Compose v2 can be had.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE_DIR=${PARLEY_CACHE_DIR:-/var/cache/parley-test}/compose-v2
BIN=$CACHE_DIR/docker-compose

if docker compose version >/dev/null 2>&1; then
	echo "docker compose"
	exit 0
fi
if [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; then
	echo "$BIN"
	exit 0
fi
"$here/base-image.sh" >&2 || exit 77
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock -w 600 9 || { echo "compose-v2: timed out waiting for the lock" >&2; exit 77; }
if ! timeout 600 docker run --rm -v "$CACHE_DIR:/out" debian:trixie-slim bash -c '
	apt-get update -qq >/dev/null &&
	apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 &&
	cp -L /usr/libexec/docker/cli-plugins/docker-compose /out/docker-compose.tmp' >&2; then
	echo "compose-v2: cannot install Debian's docker-compose (v2) in a container" >&2
	exit 77
fi
mv "$CACHE_DIR/docker-compose.tmp" "$BIN"
"$BIN" version >/dev/null 2>&1 || { echo "compose-v2: $BIN does not run here" >&2; exit 77; }
echo "compose-v2: $("$BIN" version) cached in $BIN" >&2
echo "$BIN"
