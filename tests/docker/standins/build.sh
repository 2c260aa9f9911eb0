#!/bin/bash
# tests/docker/standins/build.sh — build the local stand-ins for the official PostgreSQL
# and RabbitMQ images from Debian's packages (no image registry needed).
#
# Usage: tests/docker/standins/build.sh [postgres|rabbitmq|all]     (default all)
# Needs a running engine (tests/docker/engine.sh) and debian:trixie-slim
# (tests/docker/base-image.sh; this script runs it). Tags:
#   parley-test/postgres:local   (override with POSTGRES_STANDIN)
#   parley-test/rabbitmq:local   (override with RABBITMQ_STANDIN)
# Idempotent: Docker's layer cache makes a second run take about a second. apt-get runs
# inside `docker build`; when the build's default bridge network cannot reach the Debian
# mirror the build is retried once with `--network host` (prints a note).
# Prints one line per image:  standin: parley-test/postgres:local ready (412 MB)
# Exit status: 0 ready; 77 when the engine or base image is missing; 1 on build failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../base-image.sh" >&2 || exit $?

build_one() { # name tag
	local name=$1 tag=$2 log
	log=$(mktemp)
	if ! docker build --force-rm -t "$tag" "$here/$name" >"$log" 2>&1; then
		echo "standin: build of $tag failed on the default network; retrying with --network host" >&2
		if ! docker build --force-rm --network host -t "$tag" "$here/$name" >"$log" 2>&1; then
			tail -20 "$log" >&2; rm -f "$log"
			echo "standin: build of $tag failed" >&2
			return 1
		fi
	fi
	rm -f "$log"
	echo "standin: $tag ready ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1000000}'))"
}

what=${1:-all}
case "$what" in
postgres|all) build_one postgres "${POSTGRES_STANDIN:-parley-test/postgres:local}" ;;&
rabbitmq|all) build_one rabbitmq "${RABBITMQ_STANDIN:-parley-test/rabbitmq:local}" ;;
postgres) ;;
*) echo "usage: $0 [postgres|rabbitmq|all]" >&2; exit 2 ;;
esac
