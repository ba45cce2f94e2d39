import { eventually } from '@billing/testing';
import { describeTransportContract } from '../testing/transport-contract.js';
import { readDeadLetters } from '../dead-letter-store.js';
import { InProcessTransport } from './in-process-transport.js';

// The same behavioural cases as Kafka, with the outbox feeding an in-memory transport and dead
// letters going to <schema>.dead_letters.
describeTransportContract('in-process', (db) => {
  const transport = new InProcessTransport({ lanes: 4 });
  let topics = 0;
  return Promise.resolve({
    publisher: transport,
    subscriber: transport,
    newTopic: () => Promise.resolve(`inproc.topic${++topics}`),
    // publish() resolves only after the subscribers applied the messages: nothing to wait for.
    settled: () => Promise.resolve(),
    deadLetters: (topic, consumerName, expected) =>
      eventually(async () => {
        const rows = (await readDeadLetters(db.pool, db.schema, consumerName)).filter(
          (r) => r.topic === topic,
        );
        return rows.length >= expected
          ? rows.map((r) => ({
              reason: r.reason,
              headers: r.headers,
              value: r.value?.toString('utf8') ?? null,
            }))
          : undefined;
      }),
    close: () => transport.close(),
  });
});
