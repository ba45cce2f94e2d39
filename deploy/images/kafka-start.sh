#!/bin/bash
# Starts the broker of kafka.Dockerfile, as deploy/local/infra-up.sh starts the local one: the
# effective configuration is server.properties with this container's listeners and data directory
# plus the JAAS lines that carry the admin password; the storage is formatted at the first start
# with every principal of KAFKA_PRINCIPALS_FILE ("name password" lines, deploy/local/kafka/
# principals.txt format) as a SCRAM-SHA-512 credential. Nothing secret is written into the image.
set -euo pipefail
DATA=/var/lib/kafka
CONFIG="$DATA/server.properties"
PRINCIPALS="${KAFKA_PRINCIPALS_FILE:-/run/secrets/kafka-principals}"
ADVERTISED="${KAFKA_ADVERTISED_LISTENER:-kafka:9092}"
# Fixed, as infra-up.sh's: a re-format gives the same cluster id.
CLUSTER_ID="${KAFKA_CLUSTER_ID:-O_84UyvERLWnxVfQTEKRIg}"
[[ -r "$PRINCIPALS" ]] || { echo "kafka-start: $PRINCIPALS (the SCRAM principals) is not readable" >&2; exit 1; }
ADMIN_PASSWORD="$(awk '$1 == "admin" { print $2 }' "$PRINCIPALS")"
[[ -n "$ADMIN_PASSWORD" ]] || { echo "kafka-start: no admin principal in $PRINCIPALS" >&2; exit 1; }

mkdir -p "$DATA/data" "$DATA/logs"
(
  umask 077
  sed -e "s#^listeners=.*#listeners=BROKER://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093#" \
      -e "s#^advertised.listeners=.*#advertised.listeners=BROKER://$ADVERTISED#" \
      -e "s#^log\.dirs=.*#log.dirs=$DATA/data#" /opt/kafka/config/server.properties
  echo
  echo "listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\";"
  echo "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$ADMIN_PASSWORD\" user_admin=\"$ADMIN_PASSWORD\";"
) >"$CONFIG"

if [[ ! -f "$DATA/data/meta.properties" ]]; then
  scram=()
  while read -r name password; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$password]")
  done < <(awk '!/^#/ && NF == 2' "$PRINCIPALS")
  echo "kafka-start: formatting the KRaft storage with ${#scram[@]} argument(s) for the SCRAM principals" >&2
  java -Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.properties -cp '/opt/kafka/lib/*' \
    kafka.tools.StorageTool format --standalone --cluster-id "$CLUSTER_ID" --config "$CONFIG" \
    "${scram[@]}" >/dev/null
fi

# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM options
exec java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  -Dkafka.logs.dir="$DATA/logs" -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp '/opt/kafka/lib/*' kafka.Kafka "$CONFIG"
