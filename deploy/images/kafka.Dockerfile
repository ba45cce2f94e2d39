# Apache Kafka (KRaft, single node) from the Maven jars of deploy/local/kafka (pom.xml), configured
# as the local broker is: SCRAM-SHA-512 principals, ACLs, no auto-created topics
# (deploy/local/kafka/server.properties, ADR 007). Built with deploy/ as the context:
#
#   docker build -f deploy/images/kafka.Dockerfile -t llm-billing/kafka deploy
#
# The jars are those `npm run infra:up` (or deploy/images/build.sh) fetched into
# deploy/local/kafka/lib; where they are missing, Maven fetches them here. The principals'
# passwords are not in the image: kafka-start.sh reads them from a mounted file at the first start.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS jars
COPY local/kafka/ /kafka/
RUN set -e; \
    if ! ls /kafka/lib/kafka_2.13-*.jar >/dev/null 2>&1; then \
      apt-get update && apt-get install -y --no-install-recommends maven default-jre-headless; \
      cd /kafka && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib; \
    fi

FROM ${BASE_IMAGE}
RUN set -e; \
    mkdir -p /usr/share/man/man1; \
    apt-get update; \
    apt-get install -y --no-install-recommends openjdk-17-jre-headless tini; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    useradd --system --uid 1001 --user-group --home-dir /var/lib/kafka --create-home kafka
ARG VERSION=dev
LABEL org.opencontainers.image.title="llm-billing-kafka" \
      org.opencontainers.image.description="Apache Kafka (KRaft) from its Maven jars, SCRAM and ACLs as deploy/local" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=jars /kafka/lib/ /opt/kafka/lib/
COPY local/kafka/server.properties local/kafka/tools-log4j2.properties /opt/kafka/config/
COPY images/kafka-log4j2.properties /opt/kafka/config/log4j2.properties
COPY images/kafka-start.sh /opt/kafka/kafka-start.sh
ENV KAFKA_HEAP_OPTS="-Xms256m -Xmx768m" \
    MALLOC_ARENA_MAX=2
USER kafka
VOLUME /var/lib/kafka
EXPOSE 9092
ENTRYPOINT ["tini", "--", "/opt/kafka/kafka-start.sh"]
# Open port = the broker accepts connections; kafka-init then waits for metadata itself.
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=10 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9092"]
