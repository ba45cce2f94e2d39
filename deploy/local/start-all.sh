#!/usr/bin/env bash
# `npm run start:distributed`: starts the local infrastructure, then the five
# services as separate processes (distributed mode) on ports 8080-8084 and the console server on
# 8090, with development secrets
# unless the environment already provides them. Ctrl-C stops the services (not the infra:
# `npm run infra:down` does that).
set -euo pipefail
cd "$(dirname "$0")/../.."

eval "$(bash deploy/local/infra-up.sh)"
export DATABASE_URL KAFKA_BROKERS
# infra-up.sh exported the admin principal (for tests and tools); no service runs as admin.
unset KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD
export NODE_ENV="${NODE_ENV:-development}"
# Development placeholders only; production refuses nothing here, so set real ones there.
export ADMIN_TOKEN="${ADMIN_TOKEN:-dev-admin-token-change-me}"
export CONSOLE_JWT_SECRET="${CONSOLE_JWT_SECRET:-dev-console-jwt-secret-change-me-0123456789}"
export API_KEY_PEPPER="${API_KEY_PEPPER:-dev-api-key-pepper-change-me-0123456789abcdef}"
export API_KEY_ENCRYPTION_KEY="${API_KEY_ENCRYPTION_KEY:-000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f}"
export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_dev_placeholder}"
export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_dev_placeholder}"
# The gateway's own credential (SERVICE_TOKEN), which the ledger accepts for holds and the keys
# service for key lookups (their SERVICE_TOKENS).
GATEWAY_SERVICE_TOKEN="${GATEWAY_SERVICE_TOKEN:-dev-gateway-service-token-change-me-0123456789}"
export LEDGER_URL="${LEDGER_URL:-http://127.0.0.1:8083}"
export METERING_URL="${METERING_URL:-http://127.0.0.1:8082}"

# On exit, stop every process of this group (the services and their log prefixers).
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null' INT TERM EXIT
# Each service connects to Kafka as its own principal (deploy/local/kafka/principals.txt, development
# passwords), so that the broker's ACLs (kafka/acls.txt) hold it to its own topics and groups.
# KAFKA_SASL_USERNAME_<SERVICE> / KAFKA_SASL_PASSWORD_<SERVICE> override them for another broker.
kafka_password() { awk -v n="$1" '$1 == n { print $2 }' deploy/local/kafka/principals.txt; }
for svc in gateway keys metering ledger payments; do
  upper="$(tr '[:lower:]' '[:upper:]' <<<"$svc")"
  user_var="KAFKA_SASL_USERNAME_$upper" password_var="KAFKA_SASL_PASSWORD_$upper"
  # PORT comes from each service's own default (CONTRACTS.md: 8080..8084). The gateway gets its
  # service token and not the admin token, and asks the keys service about keys its cache lacks;
  # the ledger and the keys service get the list of service tokens they accept.
  case "$svc" in
    gateway) extra=(env -u ADMIN_TOKEN SERVICE_TOKEN="$GATEWAY_SERVICE_TOKEN" KEYS_URL="${KEYS_URL:-http://127.0.0.1:8081}") ;;
    ledger | keys) extra=(env SERVICE_TOKENS="gateway=$GATEWAY_SERVICE_TOKEN") ;;
    *) extra=(env) ;;
  esac
  (
    unset PORT
    export KAFKA_SASL_MECHANISM="${KAFKA_SASL_MECHANISM:-scram-sha-512}"
    export KAFKA_SASL_USERNAME="${!user_var:-$svc}"
    export KAFKA_SASL_PASSWORD="${!password_var:-$(kafka_password "$svc")}"
    "${extra[@]}" node --import @swc-node/register/esm-register "services/$svc/src/main.ts" 2>&1 | sed -u "s/^/[$svc] /"
  ) &
done
# The console's origin (apps/console-server) on :8090, in front of the five on their default
# ports; the console is built first when its sources are newer than its build.
node tools/build/console.js --if-stale
node --import @swc-node/register/esm-register apps/console-server/src/main.ts 2>&1 | sed -u "s/^/[console] /" &
echo "services starting: gateway :8080, keys :8081, metering :8082, ledger :8083, payments :8084, console http://localhost:8090/ (Ctrl-C to stop)" >&2
wait
