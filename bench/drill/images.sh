#!/usr/bin/env bash
# bench/drill/images.sh — the images the drill runs: local stand-ins for PostgreSQL and
# RabbitMQ (tests/docker/standins) and Parley's four daemons built from this tree, tagged
# parley-drill/<daemon> so that they never replace the parley/* images other runs use.
# Needs a running engine (tests/docker/engine.sh start) and is run by bench/drill/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/docker/standins/build.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# (The legacy builder's deprecation notice on stderr is dropped unless a build fails.)
for d in back-end front-end chat-server; do
	if ! docker build -q --force-rm -f "Dockerfile.$d" -t "parley-drill/$d" . >/dev/null 2>"$log"; then
		cat "$log" >&2
		echo "images: build of $d failed on the default network; retrying with --network host" >&2
		docker build -q --force-rm --network host -f "Dockerfile.$d" -t "parley-drill/$d" . >/dev/null
	fi
	echo "images: parley-drill/$d ready"
done
