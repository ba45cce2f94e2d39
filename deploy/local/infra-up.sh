#!/usr/bin/env bash
# Starts the local infrastructure without Docker (see docs/adr/001-kafka-without-docker.md):
#   Kafka  - single-node KRaft broker+controller from Maven-fetched jars, 127.0.0.1:9092, with
#            SCRAM-SHA-512 authentication and ACLs per service (docs/adr/007-kafka-sasl-acls.md)
#   Postgres - the machine's own server on 127.0.0.1:5432, databases billing + billing_test
# Idempotent: safe to run again while everything is up.
# Usage: eval "$(deploy/local/infra-up.sh)"   (stdout carries only the export lines)
# A second, private broker (a test's, or one to try something on without disturbing the shared one):
#   INFRA_KAFKA_PORT=19092 INFRA_KAFKA_CONTROLLER_PORT=19093 INFRA_DATA_DIR=/tmp/k INFRA_POSTGRES=0
# (infra-down.sh with the same INFRA_DATA_DIR stops it).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE" # server.properties uses paths relative to this folder

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${INFRA_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${INFRA_KAFKA_CONTROLLER_PORT:-9093}"
WITH_POSTGRES="${INFRA_POSTGRES:-1}"
# 0: leave the topics and ACLs to the caller (libs/testing's startPrivateKafka creates them from
# the same files in one process, where this script starts a JVM per topic and per ACL group).
WITH_PROVISION="${INFRA_KAFKA_PROVISION:-1}"
PG_HOST=127.0.0.1 PG_PORT=5432
DATA="${INFRA_DATA_DIR:-$HERE/.data}"
KDATA="$DATA/kafka"
PIDFILE="$KDATA/kafka.pid"
# The broker's effective configuration (server.properties with this run's ports and data directory,
# and the JAAS lines holding the admin password) and the admin tools' client settings: both are
# written here, readable by this user only, and never into the repository.
CONFIG="$KDATA/server.properties"
ADMIN_CONFIG="$KDATA/admin.properties"
# Written once the storage was formatted with the SCRAM principals; storage without it comes from
# the unauthenticated broker of earlier versions of this script.
SECURED_MARKER="$KDATA/secured"
# Made once with `StorageTool random-uuid`; fixed so that a re-format after wiping .data gives the same cluster.
CLUSTER_ID="O_84UyvERLWnxVfQTEKRIg"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { echo "[infra-up +${SECONDS}s] $*" >&2; }
die() { echo "[infra-up] ERROR: $*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# The pidfile may be stale and its pid reused: also check that the process is our broker.
kafka_alive() { [[ -f "$PIDFILE" ]] && ps -p "$(cat "$PIDFILE")" -o args= 2>/dev/null | grep 'kafka\.Kafka' >/dev/null; }
# Kafka's own admin CLIs, as the admin principal; quiet logging, small heap, fast JVM start.
# `timeout`: a broker that does not answer (or refuses the admin) must fail the call, not hang it.
kafka_tool() {
  local tool="$1"; shift
  timeout 180 "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$HERE/kafka/tools-log4j2.properties" \
    -cp 'kafka/lib/*' "$tool" --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --command-config "$ADMIN_CONFIG" "$@"
}
topics() { kafka_tool org.apache.kafka.tools.TopicCommand "$@"; }
acls() { kafka_tool org.apache.kafka.tools.AclCommand "$@"; }
# The development password of a principal in kafka/principals.txt.
password_of() {
  local pw
  pw="$(awk -v n="$1" '$1 == n { print $2 }' kafka/principals.txt)"
  [[ -n "$pw" ]] || die "no password for principal $1 in kafka/principals.txt"
  echo "$pw"
}
ADMIN_PASSWORD="$(password_of admin)"

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

# ---------------------------------------------------------------- Kafka configuration
mkdir -p "$KDATA/logs"
# Rewritten at every run (the ports may differ from the last one); the running broker keeps the
# configuration it started with.
(
  umask 077
  {
    sed -e "s/127\.0\.0\.1:9092/$KAFKA_HOST:$KAFKA_PORT/g" \
        -e "s/127\.0\.0\.1:9093/$KAFKA_HOST:$CONTROLLER_PORT/g" \
        -e "s#^log\.dirs=.*#log.dirs=$KDATA/data#" kafka/server.properties
    echo
    echo '# Written by infra-up.sh: the broker authenticates to itself and to its controller as admin.'
    echo "listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\";"
    echo "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\" user_admin=\"$ADMIN_PASSWORD\";"
  } >"$CONFIG.tmp"
  mv "$CONFIG.tmp" "$CONFIG"
  {
    echo 'security.protocol=SASL_PLAINTEXT'
    echo 'sasl.mechanism=SCRAM-SHA-512'
    echo "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\";"
    # Fail within seconds when the broker refuses or ignores us, rather than after the 60 s default.
    echo 'request.timeout.ms=10000'
    echo 'default.api.timeout.ms=20000'
  } >"$ADMIN_CONFIG"
)

# ---------------------------------------------------------------- Kafka broker
if kafka_alive && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
  # A broker started by an earlier, unauthenticated version of this script refuses nothing and
  # knows no principal: it must be restarted (its storage is then moved aside, see below).
  [[ -f "$SECURED_MARKER" ]] \
    || die "the running Kafka (pid $(cat "$PIDFILE")) was started without SASL; run npm run infra:down, then infra:up again"
  log "Kafka already running (pid $(cat "$PIDFILE"))"
elif ! kafka_alive && port_open "$KAFKA_HOST" "$KAFKA_PORT" && topics --list >/dev/null 2>&1; then
  # A broker we did not start (another checkout's, or a container) already serves this port:
  # use it, create our topics on it, and leave stopping it to whoever started it.
  log "using the Kafka broker already serving $KAFKA_HOST:$KAFKA_PORT (not started by this checkout)"
else
  if kafka_alive; then
    log "Kafka pid $(cat "$PIDFILE") alive but port closed: still starting, waiting for it"
  else
    port_open "$KAFKA_HOST" "$KAFKA_PORT" \
      && die "port $KAFKA_PORT is taken by a process that is not a Kafka broker accepting the admin principal"
    if [[ -f "$KDATA/data/meta.properties" && ! -f "$SECURED_MARKER" ]]; then
      # The unauthenticated broker of earlier versions: it has no SCRAM credentials, and nobody could
      # log in to add them. Its messages are copies of what the services' outboxes published, so
      # a fresh broker loses nothing the event store does not hold; keep the old data aside anyway.
      aside="$KDATA/data.unsecured-$(date +%Y%m%d%H%M%S)"
      log "Kafka storage in $KDATA/data predates SASL: moving it to $aside and formatting anew"
      mv "$KDATA/data" "$aside"
    fi
    if [[ ! -f "$KDATA/data/meta.properties" ]]; then
      log "formatting KRaft storage in $KDATA/data with the SCRAM principals of kafka/principals.txt"
      scram=()
      while read -r name password; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$password]")
      done < <(awk '!/^#/ && NF == 2' kafka/principals.txt)
      "$JAVA" -Dlog4j2.configurationFile="$HERE/kafka/tools-log4j2.properties" -cp 'kafka/lib/*' \
        kafka.tools.StorageTool format --standalone --cluster-id "$CLUSTER_ID" --config "$CONFIG" \
        "${scram[@]}" >/dev/null
      touch "$SECURED_MARKER"
      rm -f "$KDATA/acls.applied"
    fi
    log "starting Kafka $KAFKA_VERSION on $KAFKA_HOST:$KAFKA_PORT (log: $KDATA/logs/server.log)"
    # setsid: own session, so the broker survives this shell and Ctrl-C in the caller's terminal.
    setsid "$JAVA" -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dkafka.logs.dir="$KDATA/logs" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
      -cp 'kafka/lib/*' kafka.Kafka "$CONFIG" \
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
  [[ $i == 30 ]] && die "Kafka port open but metadata not served to the admin principal within ~60 s
  (a broker started before SASL was configured? Run npm run infra:down, then infra:up again)"
  sleep 2
done
log "Kafka serves metadata on $KAFKA_HOST:$KAFKA_PORT"

# ---------------------------------------------------------------- topics (topics.txt)
# One JVM per missing topic (~1.5 s each): only the first run pays for it.
# Tool stdout is chatter ("Created topic", a warning about '.' in names); errors still reach stderr.
if [[ "$WITH_PROVISION" == 1 ]]; then
  while read -r t; do
    [[ -z "$t" || "$t" == \#* ]] && continue
    grep -qxF "$t" <<<"$existing" && continue
    log "creating topic $t"
    topics --create --if-not-exists --topic "$t" --partitions 6 --replication-factor 1 >/dev/null
  done <topics.txt
fi

# ---------------------------------------------------------------- ACLs (kafka/acls.txt)
# One AclCommand JVM per (principal, operation), with every resource of that pair; only when the
# file changed since they were last added (adding an ACL that exists is a no-op).
acl_sum="$(sha256sum kafka/acls.txt | cut -d' ' -f1)"
if [[ "$WITH_PROVISION" == 1 && "$(cat "$KDATA/acls.applied" 2>/dev/null)" != "$acl_sum" ]]; then
  while read -r principal operation; do
    resources=()
    while read -r kind name; do
      resources+=("--$kind" "$name")
    done < <(awk -v p="$principal" -v o="$operation" '!/^#/ && NF == 4 && $1 == p && $2 == o { print $3, $4 }' kafka/acls.txt)
    log "ACL: User:$principal may $operation ${resources[*]}"
    acls --add --allow-principal "User:$principal" --operation "$operation" "${resources[@]}" >/dev/null
  done < <(awk '!/^#/ && NF == 4 { print $1, $2 }' kafka/acls.txt | sort -u)
  echo "$acl_sum" >"$KDATA/acls.applied"
fi

if [[ "$WITH_POSTGRES" != 1 ]]; then
  echo "export KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT"
  echo "export KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=admin KAFKA_SASL_PASSWORD=$ADMIN_PASSWORD"
  exit 0
fi

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
# The admin principal (tests and tools); a service started by hand uses its own (README, Commands).
echo "export KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=admin KAFKA_SASL_PASSWORD=$ADMIN_PASSWORD"
