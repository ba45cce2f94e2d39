#!/usr/bin/env bash
# npm run test:compose: builds every image (deploy/images/build.sh: offline where no registry
# answers), brings docker-compose.yml up under its own project name, runs the end-to-end scenario
# and the ledger `docker kill` trial against it (platform.compose.spec.ts), and takes it all down
# again (`down -v`). Needs a Docker engine and docker compose or docker-compose.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
started=$SECONDS
bash deploy/images/build.sh
built=$SECONDS
TEST_LEVEL=compose node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand tests/compose
echo "[test:compose] images built in $((built - started)) s, stack tested in $((SECONDS - built)) s, $((SECONDS - started)) s in all" >&2
