#!/bin/sh
# Entrypoint of the mongo stand-in image (the parts of the official one that apply):
#   - arguments starting with "-" are mongod flags: `docker run IMAGE --port 27018`;
#   - as root, mongod steps down to user mongodb (999) after /data is chowned;
#   - /docker-entrypoint-initdb.d is NOT run (the stand-in has no JavaScript shell).
set -e
case "${1:-}" in -*) set -- mongod "$@" ;; esac

if [ "${1:-}" = mongod ]; then
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] && echo "$0: WARNING: ignoring $f (initdb scripts are not supported by the mongoeco stand-in)" >&2
  done
  if [ "$(id -u)" = 0 ]; then
    find /data/db /data/configdb \! -user mongodb -exec chown mongodb:mongodb '{}' + 2>/dev/null || true
    exec setpriv --reuid=mongodb --regid=mongodb --init-groups "$@"
  fi
fi
exec "$@"
