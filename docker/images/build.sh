#!/usr/bin/env bash
# Provide the official images the template's Docker matrix uses, on a machine that
# reaches Debian's mirror and PyPI but no container registry:
#
#   python:3.13-slim, python:3.13  Debian trixie's CPython 3.13 + venv, pip in /usr/local
#   python:3.14-slim, python:3.14  Debian sid's CPython 3.14 (trixie stops at 3.13), the same way
#   python:3.15-slim, python:3.15  Debian sid's CPython 3.15
#   postgres:17                    Debian trixie's postgresql-17 + official-style entrypoint
#   mongo:8, mongo:7               mongoeco[wire] (MongoDB wire protocol, in Python) on python:3.13-slim
#   redis:8                        Debian trixie's redis-server 8.0 + official-style entrypoint
#
# For each image: already present -> kept (a stand-in built from other files than these
# is rebuilt: its label holds the hash of its build folder); else `docker pull` (short
# timeout); else the local stand-in is built and tagged with the official name, so unmodified Dockerfiles
# (FROM python:3.13-slim) and compose files (image: postgres:17) resolve locally: the
# default pull_policy "missing" never pulls a tag that exists.
# The stand-ins sit on local/debian:trixie or local/debian:sid (debootstrap
# --variant=minbase, slimmed like the official -slim images, imported with `docker
# import`); the bases are kept, so a rebuild with Docker's cache takes about a second.
#
# Usage: docker/images/build.sh [IMAGE|FAMILY ...]    default: python postgres mongo redis
#        e.g.  docker/images/build.sh postgres:17 mongo:8 redis:8
# Env:   MIRROR        Debian mirror (default http://deb.debian.org/debian)
#        FORCE=1       redo images that are present (Docker's cache and the base are reused)
#        FRESH=1       like FORCE, and also re-debootstrap the base and build with --no-cache
#        PULL=0        never try `docker pull`;  PULL_TIMEOUT seconds (default 20)
#        LOG_DIR       build logs (default ${TMPDIR:-/tmp}/docker-standin-images)
set -euo pipefail
cd "$(dirname "$0")"

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
FRESH=${FRESH:-0}
FORCE=${FORCE:-$FRESH}
PULL=${PULL:-1}
PULL_TIMEOUT=${PULL_TIMEOUT:-20}
LOG_DIR=${LOG_DIR:-${TMPDIR:-/tmp}/docker-standin-images}
export DOCKER_BUILDKIT=1
mkdir -p "$LOG_DIR"
NOCACHE=(); [ "$FRESH" = 1 ] && NOCACHE=(--no-cache)

ALL_TAGS=(python:3.13-slim python:3.13 python:3.14-slim python:3.14 python:3.15-slim python:3.15
          postgres:17 mongo:8 mongo:7 redis:8)
# The Debian suite that carries each stand-in's software (sid: the Pythons trixie lacks).
declare -A SUITE_OF=([3.13]=trixie [3.14]=sid [3.15]=sid [postgres]=trixie [redis]=trixie)

# ---- helpers -------------------------------------------------------------------------
now()     { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
exists()  { docker image inspect "$1" >/dev/null 2>&1; }
HASH_LABEL=org.fastapi-template.context
context_of() { case "$1" in python:*) echo python ;; postgres:*) echo postgres ;; mongo:*) echo mongo ;; redis:*) echo redis ;; esac; }
context_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }
local_of() { case "$1" in python:*) local v=${1#python:}; echo "local/python:${v%-slim}" ;; *) echo "local/$1" ;; esac; }
stale_standin() {  # stale_standin TAG: our stand-in (the local image), built from other files
  local id local_id built
  id=$(docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true)
  local_id=$(docker image inspect -f '{{.Id}}' "$(local_of "$1")" 2>/dev/null || true)
  [ -n "$id" ] && [ "$id" = "$local_id" ] || return 1
  built=$(docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true)
  [ "$built" != "$(context_hash "$(context_of "$1")")" ]
}
size_mb() { docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

ROWS=(); ROW_SECS=0   # ROW_SECS: seconds already reported, so nested rows are not counted twice
row() {
  ROWS+=("$(printf '%-22s %-8s %7s s  %8s' "$1" "$2" "$3" "$4")")
  ROW_SECS=$(awk -v a="$ROW_SECS" -v b="$3" 'BEGIN { print a + b }')
}
say() { echo "build.sh: $*" >&2; }

run_logged() {  # run_logged NAME CMD...: output to $LOG_DIR/NAME.log, its tail on failure
  local log="$LOG_DIR/$1.log" rc; shift
  # a subshell outside any `if`, so that set -e holds inside shell functions too
  set +e; ( set -e; "$@" ) >"$log" 2>&1; rc=$?; set -e
  if [ "$rc" != 0 ]; then
    say "FAILED (exit $rc): $* -- last lines of $log:"
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# ---- base: Debian minbase rootfs of a suite -> local/debian:SUITE -----------------------
make_rootfs_image() {  # make_rootfs_image SUITE (runs in run_logged's subshell)
  local suite=$1 root
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "installing debootstrap (apt)"  # (into the log)
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  fi
  ROOTFS_TMP=$(mktemp -d); root="$ROOTFS_TMP/rootfs"
  trap 'rm -rf "$ROOTFS_TMP"' EXIT
  debootstrap --variant=minbase --include=ca-certificates,netbase,tzdata \
    "$suite" "$root" "$MIRROR"

  # apt sources as in the official image: main + updates + security (sid has neither)
  echo "deb $MIRROR $suite main" >"$root/etc/apt/sources.list"
  if [ "$suite" != sid ]; then
    cat >>"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $suite-updates main
deb $SECURITY_MIRROR $suite-security main
EOF
  fi
  # apt tweaks of the official debian images: no .deb cache, no recommends
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
  echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  if [ "$suite" = sid ]; then
    # sid's Release file is valid for a week only; a mirror that is a snapshot (as this
    # machine's is) serves it expired, and apt would refuse it. A stand-in accepts that.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/snapshot-mirror"
  fi

  # "-slim": later package installs skip docs, man pages and translations ...
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  # ... and the ones debootstrap already unpacked go (copyright files stay)
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{man,info,groff,lintian,linda}/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*

  # This network's HTTPS proxy re-signs TLS: trust the host's extra CAs inside the image
  # (kept by later update-ca-certificates runs); SSL_CERT_FILE/REQUESTS_CA_BUNDLE below
  # make uv (rustls), requests and httpx (certifi) use the system bundle too.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
  fi

  tar --numeric-owner --xattrs -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["bash"]' \
    - "local/debian:$suite"
}

declare -A BASE_DONE=()
ensure_base() {  # ensure_base SUITE: local/debian:SUITE exists (built once per run with FRESH=1)
  local suite=$1 image=local/debian:$1 t0 old_id
  [ -n "${BASE_DONE[$suite]:-}" ] && return 0
  BASE_DONE[$suite]=1
  if [ "$FRESH" != 1 ] && exists "$image"; then return 0; fi
  t0=$(now)
  old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  say "building $image (debootstrap $suite from $MIRROR)"
  run_logged "local-debian-$suite" make_rootfs_image "$suite"
  row "$image" built "$(elapsed "$t0")" "$(size_mb "$image")"
  [ -z "$old_id" ] || REPLACED+=("$old_id")
}

# ---- stand-ins -------------------------------------------------------------------------
REPLACED=()          # image IDs a rebuild replaced: removed at the end if nothing uses them
declare -A BUILT=()   # local images and build contexts done in this run
build_standin() {  # build_standin TAG: build the local image behind TAG (once) and tag it
  local tag=$1 local_tag old_id args version suite
  old_id=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  case "$tag" in
    python:*)   version=${tag#python:}; version=${version%-slim}; suite=${SUITE_OF[$version]}
                ensure_base "$suite"; local_tag=local/python:$version
                args=(--build-arg "BASE=local/debian:$suite" --build-arg "PYTHON_VERSION=$version" python) ;;
    postgres:*) suite=${SUITE_OF[postgres]}; ensure_base "$suite"; local_tag=local/postgres:17
                args=(--build-arg "BASE=local/debian:$suite" postgres) ;;
    redis:*)    suite=${SUITE_OF[redis]}; ensure_base "$suite"; local_tag=local/redis:8
                args=(--build-arg "BASE=local/debian:$suite" redis) ;;
    mongo:*)    ensure_tag python:3.13-slim   # the stand-in runs on it (local or official)
                local_tag=local/mongo:${tag#mongo:}
                args=(--build-arg BASE=python:3.13-slim --build-arg "MONGO_MAJOR=${tag#mongo:}" mongo) ;;
  esac
  if [ -z "${BUILT[$local_tag]:-}" ]; then
    local dir=${args[-1]} nocache=("${NOCACHE[@]}")
    [ -n "${BUILT[$dir]:-}" ] && nocache=()   # mongo:7 after mongo:8: the fresh layers are shareable
    run_logged "${local_tag//[\/:]/-}" docker build "${nocache[@]}" -t "$local_tag" \
      --label "$HASH_LABEL=$(context_hash "$dir")" "${args[@]}"
    BUILT[$local_tag]=1 BUILT[$dir]=1
  fi
  docker tag "$local_tag" "$tag"
  if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
    REPLACED+=("$old_id")
  fi
}

declare -A DONE=()
ensure_tag() {  # ensure_tag TAG: present / pulled / built, one table row
  local tag=$1 t0 src
  [ -n "${DONE[$tag]:-}" ] && return 0
  DONE[$tag]=1
  t0=$(awk -v t="$(now)" -v r="$ROW_SECS" 'BEGIN { printf "%.3f", t - r }')
  if [ "$FORCE" != 1 ] && exists "$tag" && ! stale_standin "$tag"; then
    src=present
  elif [ "$PULL" = 1 ] && timeout "$PULL_TIMEOUT" docker pull -q "$tag" >"$LOG_DIR/pull-${tag/:/-}.log" 2>&1; then
    src=pulled
  else
    say "building stand-in for $tag"
    build_standin "$tag"
    src=built
  fi
  # own time only: minus the rows reported meanwhile (base image, python for mongo)
  row "$tag" "$src" "$(awk -v e="$(elapsed "$t0")" -v r="$ROW_SECS" 'BEGIN { printf "%.1f", e - r }')" \
    "$(size_mb "$tag")"
}

# ---- arguments: image tags or family names ---------------------------------------------
WANT=()
[ $# -gt 0 ] || set -- python postgres mongo redis
for arg; do
  case "$arg" in
    python|postgres|mongo|redis) for t in "${ALL_TAGS[@]}"; do [ "${t%%:*}" = "$arg" ] && WANT+=("$t"); done ;;
    *) if printf '%s\n' "${ALL_TAGS[@]}" | grep -qxF -- "$arg"; then WANT+=("$arg")
       else echo "unknown image '$arg' (known: python postgres mongo redis ${ALL_TAGS[*]})" >&2; exit 2; fi ;;
  esac
done

docker info >/dev/null 2>&1 || { echo "no Docker engine: run docker/engine.sh first" >&2; exit 1; }
T0=$(now)
for tag in "${ALL_TAGS[@]}"; do   # fixed order: python before mongo (its base)
  if printf '%s\n' "${WANT[@]}" | grep -qxF -- "$tag"; then ensure_tag "$tag"; fi
done
for ((i = ${#REPLACED[@]} - 1; i >= 0; i--)); do   # newest first: children before their base
  docker rmi "${REPLACED[i]}" >/dev/null 2>&1 || true
done
printf '%-22s %-8s %9s  %8s\n' IMAGE SOURCE TIME SIZE
printf '%s\n' "${ROWS[@]}"
echo "total $(elapsed "$T0") s (logs: $LOG_DIR)"
