# PostgreSQL 15 from Debian's package, with the interface of the official `postgres` image that
# docker-compose.yml uses (POSTGRES_PASSWORD, POSTGRES_DB, PGDATA=/var/lib/postgresql/data,
# pg_isready), so that it builds wherever deb.debian.org answers:
#
#   docker build -f deploy/images/postgres.Dockerfile -t llm-billing/postgres:15 deploy/images
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# No default cluster: the entrypoint initialises PGDATA (a volume) at the first start.
RUN set -e; \
    mkdir -p /etc/postgresql-common; \
    echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-15 tini; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    mkdir -p /var/lib/postgresql/data /run/postgresql; \
    chown -R postgres:postgres /var/lib/postgresql /run/postgresql; \
    chmod 700 /var/lib/postgresql/data
ARG VERSION=dev
LABEL org.opencontainers.image.title="llm-billing-postgres" \
      org.opencontainers.image.description="PostgreSQL 15 from Debian's package" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY postgres-start.sh /usr/local/bin/postgres-start.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["tini", "--", "/usr/local/bin/postgres-start.sh"]
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=15 \
  CMD ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"]
