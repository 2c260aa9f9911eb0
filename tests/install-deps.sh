#!/usr/bin/env bash
# Install everything the build and the test suite need on Debian/Ubuntu.
# Idempotent: does nothing (and needs no network) when all is present.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang
  libevent-dev librabbitmq-dev libpq-dev libmicrohttpd-dev libjansson-dev
  libsodium-dev
  # real servers the integration tests start
  postgresql postgresql-client rabbitmq-server
  # test drivers
  python3 python3-pika python3-psycopg2 python3-websockets python3-wsproto tmux procps iproute2
  # browser tests (Debian's chromium driven by playwright-core from npm)
  chromium nodejs npm
  # containers
  docker.io docker-compose debootstrap
  # data: the common-password list; Unicode's data for chat names' keys
  john-data unicode-data python3-confusable-homoglyphs
  # benchmarks
  wrk nginx-light
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
# nodejs/npm may come from elsewhere (e.g. NodeSource); accept what works.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# The packages start system-wide servers; the tests run their own.
for svc in rabbitmq-server postgresql; do
  $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
