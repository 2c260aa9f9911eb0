#!/usr/bin/env bash
# Build Parley's four container images with the tags the k8s/ manifests use.
#
# Usage: scripts/k8s-build-images.sh [--print-tags] [--no-minikube] [NAME...]
#
#   (default)       build into minikube's Docker daemon (runs `minikube docker-env` itself,
#                   so the cluster finds the images without a registry)
#   --no-minikube   build with whatever Docker daemon the environment points at
#   --print-tags    only print the tags (one per line) and exit; tests/k8s checks that the
#                   manifests use exactly these
#   NAME...         build only these of: back-end front-end chat-server chat-client
#
# Every image is tagged parley/NAME:VERSION, where VERSION is the one project version:
# `project(parley VERSION x.y.z ...)` in the top-level CMakeLists.txt. After bumping it, update
# the image: lines in k8s/*.yaml (tests/k8s fails until they match).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
all=(back-end front-end chat-server chat-client)

project_version() {
  local v
  v="$(sed -n 's/^[[:space:]]*project([[:space:]]*parley[[:space:]][^)]*VERSION[[:space:]]\{1,\}\([0-9][0-9.]*\).*/\1/p' \
       "$root/CMakeLists.txt" | head -n1)"
  [ -n "$v" ] || { echo "k8s-build-images: no 'project(parley VERSION x.y.z' in CMakeLists.txt" >&2; exit 1; }
  printf '%s\n' "$v"
}

print_only=0 use_minikube=1 names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --print-tags) print_only=1 ;;
    --no-minikube) use_minikube=0 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "k8s-build-images: unknown option $1" >&2; exit 2 ;;
    *) case " ${all[*]} " in
         *" $1 "*) names+=("$1") ;;
         *) echo "k8s-build-images: unknown image $1 (one of: ${all[*]})" >&2; exit 2 ;;
       esac ;;
  esac
  shift
done
[ "${#names[@]}" -gt 0 ] || names=("${all[@]}")

version="$(project_version)"
if [ "$print_only" = 1 ]; then
  for n in "${names[@]}"; do printf 'parley/%s:%s\n' "$n" "$version"; done
  exit 0
fi

if [ "$use_minikube" = 1 ]; then
  command -v minikube >/dev/null ||
    { echo "k8s-build-images: minikube not found (use --no-minikube for another daemon)" >&2; exit 1; }
  eval "$(minikube docker-env --shell bash)"
  echo "k8s-build-images: building into minikube's Docker daemon ($DOCKER_HOST)" >&2
fi

cd "$root"
revision="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
for n in "${names[@]}"; do
  [ -f "Dockerfile.$n" ] || { echo "k8s-build-images: Dockerfile.$n is missing" >&2; exit 1; }
  echo "k8s-build-images: parley/$n:$version" >&2
  docker build --file "Dockerfile.$n" --tag "parley/$n:$version" \
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" .
done
docker image ls --filter reference='parley/*' >&2
