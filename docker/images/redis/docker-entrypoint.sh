#!/bin/sh
# Entrypoint of the redis stand-in image (the parts of the official one that apply):
#   - arguments starting with "-", or a first one ending in .conf, are redis-server's:
#     `docker run IMAGE --appendonly yes`;
#   - redis-server without --protected-mode gets "--protected-mode no": with no password,
#     Redis would refuse every client but loopback, and in a container nothing is;
#   - as root, /data is chowned and redis-server steps down to user redis (999).
set -e
case "${1:-}" in -*|*.conf) set -- redis-server "$@" ;; esac

if [ "${1:-}" = redis-server ]; then
  case " $* " in *" --protected-mode "*) ;; *) set -- "$@" --protected-mode no ;; esac
  if [ "$(id -u)" = 0 ]; then
    find /data \! -user redis -exec chown redis:redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
