#!/usr/bin/env bash
# Starts the local infrastructure without Docker (see docs/adr/001-kafka-without-docker.md):
#   Kafka  - single-node KRaft broker+controller from Maven-fetched jars, 127.0.0.1:9092
#   Postgres - the machine's own server on 127.0.0.1:5432, databases billing + billing_test
# Idempotent: safe to run again while everything is up.
# Usage: eval "$(deploy/local/infra-up.sh)"   (stdout carries only the export lines)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE" # server.properties uses paths relative to this folder

KAFKA_HOST=127.0.0.1 KAFKA_PORT=9092
PG_HOST=127.0.0.1 PG_PORT=5432
DATA="$HERE/.data"
KDATA="$DATA/kafka"
PIDFILE="$KDATA/kafka.pid"
# Made once with `StorageTool random-uuid`; fixed so that a re-format after wiping .data gives the same cluster.
CLUSTER_ID="O_84UyvERLWnxVfQTEKRIg"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { echo "[infra-up +${SECONDS}s] $*" >&2; }
die() { echo "[infra-up] ERROR: $*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# The pidfile may be stale and its pid reused: also check that the process is our broker.
kafka_alive() { [[ -f "$PIDFILE" ]] && ps -p "$(cat "$PIDFILE")" -o args= 2>/dev/null | grep 'kafka\.Kafka' >/dev/null; }
# Kafka's own admin CLI; quiet logging, small heap, fast JVM start.
topics() {
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$HERE/kafka/tools-log4j2.properties" \
    -cp 'kafka/lib/*' org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" "$@"
}

# ---------------------------------------------------------------- Kafka jars
command -v "$JAVA" >/dev/null || die "java not found; Kafka 4.x needs Java 17+ (apt-get install openjdk-17-jre-headless)"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' kafka/pom.xml)"
if [[ ! -f "kafka/lib/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
  log "fetching Kafka $KAFKA_VERSION jars with Maven (one-off)..."
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  # Into lib.tmp first so an interrupted fetch never looks complete. Offline first: ~/.m2 may have it all.
  rm -rf kafka/lib.tmp
  # (sed: Maven 3.8 prints stray colour-reset codes even with -B -q.)
  (cd kafka && { mvn -B -q -o dependency:copy-dependencies -DoutputDirectory=lib.tmp >/dev/null 2>&1 \
              || mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib.tmp; }) 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
  rm -rf kafka/lib && mv kafka/lib.tmp kafka/lib
fi

# ---------------------------------------------------------------- Kafka broker
mkdir -p "$KDATA/logs"
if kafka_alive && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
  log "Kafka already running (pid $(cat "$PIDFILE"))"
elif ! kafka_alive && port_open "$KAFKA_HOST" "$KAFKA_PORT" && topics --list >/dev/null 2>&1; then
  # A broker we did not start (another checkout's, or a container) already serves this port:
  # use it, create our topics on it, and leave stopping it to whoever started it.
  log "using the Kafka broker already serving $KAFKA_HOST:$KAFKA_PORT (not started by this checkout)"
else
  if kafka_alive; then
    log "Kafka pid $(cat "$PIDFILE") alive but port closed: still starting, waiting for it"
  else
    port_open "$KAFKA_HOST" "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by a process that is not a Kafka broker"
    if [[ ! -f "$KDATA/data/meta.properties" ]]; then
      log "formatting KRaft storage in $KDATA/data"
      "$JAVA" -Dlog4j2.configurationFile="$HERE/kafka/tools-log4j2.properties" -cp 'kafka/lib/*' \
        kafka.tools.StorageTool format --standalone --cluster-id "$CLUSTER_ID" --config kafka/server.properties >/dev/null
    fi
    log "starting Kafka $KAFKA_VERSION (log: $KDATA/logs/server.log)"
    # setsid: own session, so the broker survives this shell and Ctrl-C in the caller's terminal.
    setsid "$JAVA" -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dkafka.logs.dir="$KDATA/logs" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
      -cp 'kafka/lib/*' kafka.Kafka kafka/server.properties \
      >"$KDATA/logs/stdout.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
  fi
  for _ in $(seq 1 120); do
    port_open "$KAFKA_HOST" "$KAFKA_PORT" && break
    kafka_alive || die "Kafka exited during startup; see $KDATA/logs/server.log and stdout.log"
    sleep 0.5
  done
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || die "Kafka did not open $KAFKA_PORT within 60 s"
fi

# An open port is not enough: wait until the broker answers metadata requests.
# (The topic list below is fetched once and reused, saving a JVM start per topic.)
for i in $(seq 1 30); do
  existing="$(topics --list 2>/dev/null)" && break
  [[ $i == 30 ]] && die "Kafka port open but metadata not served within ~60 s"
  sleep 2
done
log "Kafka serves metadata on $KAFKA_HOST:$KAFKA_PORT"

# ---------------------------------------------------------------- topics (topics.txt)
# One JVM per missing topic (~1.5 s each): only the first run pays for it.
# Tool stdout is chatter ("Created topic", a warning about '.' in names); errors still reach stderr.
while read -r t; do
  [[ -z "$t" || "$t" == \#* ]] && continue
  grep -qxF "$t" <<<"$existing" && continue
  log "creating topic $t"
  topics --create --if-not-exists --topic "$t" --partitions 6 --replication-factor 1 >/dev/null
done <topics.txt

# ---------------------------------------------------------------- PostgreSQL (the machine's own)
if ! command -v psql >/dev/null || ! command -v pg_isready >/dev/null; then
  die "PostgreSQL client/server not installed. Run: apt-get install -y postgresql"
fi
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]] \
    || die "PostgreSQL is not running and no server is installed. Run: apt-get install -y postgresql"
  log "starting the machine's PostgreSQL cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start >&2
  touch "$DATA/postgres-started-by-infra-up" # so infra-down.sh stops only what we started
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || die "PostgreSQL did not come up on $PG_PORT"
fi
for db in billing billing_test; do
  if [[ "$(psql -X -qtA -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
           -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
    log "creating database $db"
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE $db" >&2
  fi
done
log "PostgreSQL ready on $PG_HOST:$PG_PORT (databases billing, billing_test)"

echo "export DATABASE_URL=postgres://postgres@$PG_HOST:$PG_PORT/billing"
echo "export KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT"
