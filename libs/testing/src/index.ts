// Test helpers: the real PostgreSQL and Kafka (infra), topics and readers on the broker
// (kafka-topics), and a service application booted for one test file (test-app).
export * from './infra.js';
export * from './kafka-topics.js';
export * from './private-kafka.js';
export * from './test-app.js';
