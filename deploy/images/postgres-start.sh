#!/bin/bash
# The entrypoint of postgres.Dockerfile: at the first start, initialises PGDATA with the superuser
# `postgres` and POSTGRES_PASSWORD (SCRAM over the network, trust only on the local socket),
# creates POSTGRES_DB, then runs the server on every interface of the container.
set -euo pipefail
: "${PGDATA:?}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  [[ -n "${POSTGRES_PASSWORD:-}" ]] || { echo "postgres-start: POSTGRES_PASSWORD is required" >&2; exit 1; }
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username=postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [[ -n "${POSTGRES_DB:-}" && "$POSTGRES_DB" != postgres ]]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    createdb --username=postgres "$POSTGRES_DB"
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgres-start: initialised $PGDATA" >&2
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
