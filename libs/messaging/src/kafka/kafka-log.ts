import { logLevel, type logCreator } from 'kafkajs';
import type { MessagingLogger } from '../types.js';

/**
 * kafkajs logs this once for every producer created with `idempotent: true` and a retry limit,
 * and {@link ReliableProducer} creates one after every failed send. The limit is deliberate
 * (docs/adr/003-kafkajs-hazards.md, decision 7): without it kafkajs retries forever and a missing
 * topic hangs the relay silently. What it risks is a duplicate in the topic after a send that ran
 * out of retries and was sent again by a new producer, and every consumer's inbox absorbs
 * duplicates; nothing can be lost or reordered, since the relay republishes from its checkpoint
 * with one request in flight. A warning that fires on every producer and calls for no action
 * would only teach operators to ignore kafkajs warnings, so this one is dropped.
 */
export const ACCEPTED_KAFKAJS_WARNING =
  'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * A kafkajs `logCreator` writing kafkajs's own log lines to a {@link MessagingLogger} (so they
 * look like the rest of the service's logs), minus {@link ACCEPTED_KAFKAJS_WARNING}. Use it for
 * every client given to {@link KafkaTransport} (`createKafkaClient` does).
 */
export function kafkaLogCreator(logger: MessagingLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...fields } = log;
      if (message === ACCEPTED_KAFKAJS_WARNING) return;
      const line = `kafkajs ${namespace}: ${message}`;
      if (level === logLevel.ERROR) logger.error(line, fields);
      else if (level === logLevel.WARN) logger.warn(line, fields);
      else if (level === logLevel.INFO) logger.info(line, fields);
      else logger.debug(line, fields);
    };
}
