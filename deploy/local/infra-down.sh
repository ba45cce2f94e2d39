#!/usr/bin/env bash
# Stops what infra-up.sh started. Keeps all data (.data/, or INFRA_DATA_DIR) so the next infra-up resumes.
# The machine's PostgreSQL is left alone unless infra-up.sh was the one that started it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# INFRA_DATA_DIR: the data directory of a private broker started by infra-up.sh with the same setting.
DATA="${INFRA_DATA_DIR:-$HERE/.data}"
PIDFILE="$DATA/kafka/kafka.pid"
PG_MARKER="$DATA/postgres-started-by-infra-up"

log() { echo "[infra-down] $*" >&2; }
# Same check as infra-up.sh: the pid must still be our broker, not a reused pid.
kafka_alive() { [[ -f "$PIDFILE" ]] && ps -p "$(cat "$PIDFILE")" -o args= 2>/dev/null | grep 'kafka\.Kafka' >/dev/null; }

if kafka_alive; then
  pid="$(cat "$PIDFILE")"
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid"
  # A clean shutdown avoids log recovery on the next start; give it 30 s.
  for _ in $(seq 1 60); do kafka_alive || break; sleep 0.5; done
  if kafka_alive; then
    log "Kafka still running after 30 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do kafka_alive || break; sleep 0.2; done # let the OS release the ports
  fi
else
  log "Kafka not running"
fi
rm -f "$PIDFILE"

if [[ -f "$PG_MARKER" ]]; then
  log "stopping PostgreSQL (started by infra-up.sh)"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main stop >&2 || true
  rm -f "$PG_MARKER"
fi
