#!/usr/bin/env bash
# Entrypoint of the postgres:17 stand-in. Same contract as the official image's:
#   - `docker run IMAGE -c key=value ...`: arguments starting with "-" go to postgres;
#   - as root: fix ownership of PGDATA & co, then step down to user postgres (gosu);
#   - empty PGDATA: initdb (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_INITDB_ARGS,
#     POSTGRES_INITDB_WALDIR), "host all all all <method>" in pg_hba.conf
#     (POSTGRES_HOST_AUTH_METHOD, default: password_encryption, i.e. scram-sha-256),
#     then a socket-only temporary server creates POSTGRES_DB and runs
#     /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz|*.sql.xz|*.sql.zst in name order;
#   - every POSTGRES_* secret may come from a file instead: POSTGRES_PASSWORD_FILE etc.
set -Eeo pipefail

die() { echo "$0: error: $*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE
file_env() {
  local var=$1 fvar="${1}_FILE" val=${2:-}
  [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ] && die "both $var and $fvar are set (they are exclusive)"
  if [ -n "${!var:-}" ]; then val=${!var}
  elif [ -n "${!fvar:-}" ]; then val=$(<"${!fvar}"); fi
  export "$var=$val"
  unset "$fvar"
}

# psql against the temporary server (unix socket only, as POSTGRES_USER)
sql() {
  PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

run_initdb_d() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) if [ -x "$f" ]; then echo "$0: running $f"; "$f"
            else echo "$0: sourcing $f"; . "$f"; fi ;;
      *.sql)     echo "$0: running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz)  echo "$0: running $f"; gunzip -c "$f" | sql --dbname "$POSTGRES_DB" ;;
      *.sql.xz)  echo "$0: running $f"; xz -dc "$f" | sql --dbname "$POSTGRES_DB" ;;
      *.sql.zst) echo "$0: running $f"; zstd -dc "$f" | sql --dbname "$POSTGRES_DB" ;;
      *)         echo "$0: ignoring $f" ;;
    esac
  done
}

init_cluster() {  # init_cluster POSTGRES_ARGS...: initdb + first-run setup, as user postgres
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOF'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
       To allow all connections without a password use POSTGRES_HOST_AUTH_METHOD=trust.
EOF
    exit 1
  fi

  local initdb_args=$POSTGRES_INITDB_ARGS
  [ -n "${POSTGRES_INITDB_WALDIR:-}" ] && initdb_args+=" --waldir $POSTGRES_INITDB_WALDIR"
  # POSTGRES_INITDB_ARGS is a shell-quoted string, hence eval (as the official image does)
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$initdb_args"

  local method=${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption "$@")}
  [ "$method" = trust ] && echo "$0: WARNING: POSTGRES_HOST_AUTH_METHOD=trust: no password needed from anywhere" >&2
  printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"

  export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  # temporary server: the given flags, but no TCP (nothing connects before setup is done)
  local opts=("$@" -c listen_addresses= -p "${PGPORT:-5432}")
  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -w start -o "$(printf '%q ' "${opts[@]}")"

  if [ "$POSTGRES_DB" != postgres ] && [ -z "$(sql --dbname postgres -tA --set db="$POSTGRES_DB" \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
    sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  run_initdb_d

  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  echo; echo "PostgreSQL init process complete; ready for start up."; echo
}

main() {
  [ "${1:0:1}" = - ] && set -- postgres "$@"
  # anything else (bash, psql, postgres --version ...) runs as given
  if [ "$1" != postgres ]; then exec "$@"; fi
  local a
  for a in "$@"; do case "$a" in -'?'|--help|--describe-config|-V|--version) exec "$@" ;; esac; done

  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"

  mkdir -p "$PGDATA" && chmod 00700 "$PGDATA" || true
  mkdir -p /var/run/postgresql && chmod 03775 /var/run/postgresql || true
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR" && chmod 700 "$POSTGRES_INITDB_WALDIR" || true
  fi
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" /var/run/postgresql ${POSTGRES_INITDB_WALDIR:+"$POSTGRES_INITDB_WALDIR"} \
      \! -user postgres -exec chown postgres: '{}' +
    exec gosu postgres "${BASH_SOURCE[0]}" "$@"
  fi

  if [ -s "$PGDATA/PG_VERSION" ]; then
    echo; echo "PostgreSQL Database directory appears to contain a database; Skipping initialization"; echo
  else
    init_cluster "${@:2}"
  fi
  exec "$@"
}

main "$@"
