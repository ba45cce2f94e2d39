// Test helpers: the real PostgreSQL and Kafka (infra), topics and readers on the broker
// (kafka-topics), a service application booted for one test file (test-app), and a PostgreSQL
// cluster of a test's own to stop and restart (private-postgres).
export * from './infra.js';
export * from './ports.js';
export * from './private-postgres.js';
export * from './kafka-topics.js';
export * from './private-kafka.js';
export * from './test-app.js';
