#!/usr/bin/env bash
# npm run test:compose: builds every image (deploy/images/build.sh: offline where no registry
# answers), brings docker-compose.yml up under its own project name as a reader does and runs the
# README's walkthrough against it with the `demo` service's KEY and ACCOUNT
# (walkthrough.compose.spec.ts), then again on the Stripe stand-in for the end-to-end scenario and
# the ledger `docker kill` trial (platform.compose.spec.ts), each taken down again (`down -v`); then an integration suite and the end-to-end scenario with their PostgreSQL
# and Kafka in containers (TEST_INFRA=containers). Needs a Docker engine and docker compose or
# docker-compose.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
started=$SECONDS
bash deploy/images/build.sh
built=$SECONDS
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand "$@"; }
TEST_LEVEL=compose jest tests/compose
composed=$SECONDS
# The tests' own PostgreSQL and Kafka in containers on the same images (testcontainers,
# TEST_INFRA=containers, tools/jest/containers-setup.mjs): an integration suite and the scenario.
TEST_INFRA=containers TEST_LEVEL=int jest libs/messaging/src/outbox-relay.int.spec.ts
TEST_INFRA=containers TEST_LEVEL=e2e jest tests/e2e/distributed.e2e.spec.ts
echo "[test:compose] images built in $((built - started)) s, compose stack tested in $((composed - built)) s," \
  "testcontainers suites in $((SECONDS - composed)) s, $((SECONDS - started)) s in all" >&2
