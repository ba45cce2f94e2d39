import type { DeadLetter } from '../types.js';

/** Header names on a dead-lettered record (Kafka headers, or the `headers` column in process). */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  error: 'x-dlq-error',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  consumer: 'x-consumer',
  messageId: 'x-message-id',
  deadLetteredAt: 'x-dlq-at',
} as const;

/** Errors can be long (stack-like messages); a header is not the place for a novel. */
const MAX_ERROR_LENGTH = 1000;

/**
 * The record's own headers plus where it came from and why it was dead-lettered, so that an
 * operator can replay it to `x-original-topic` once the cause is fixed.
 */
export function deadLetterHeaders(letter: DeadLetter, now: Date): Record<string, string> {
  const headers: Record<string, string> = {
    ...letter.record.headers,
    [DLQ_HEADERS.reason]: letter.reason,
    [DLQ_HEADERS.originalTopic]: letter.record.topic,
    [DLQ_HEADERS.originalPartition]: String(letter.record.partition),
    [DLQ_HEADERS.originalOffset]: letter.record.offset,
    [DLQ_HEADERS.consumer]: letter.consumerName,
    [DLQ_HEADERS.deadLetteredAt]: now.toISOString(),
  };
  if (letter.error !== undefined)
    headers[DLQ_HEADERS.error] = letter.error.slice(0, MAX_ERROR_LENGTH);
  if (letter.messageId !== undefined) headers[DLQ_HEADERS.messageId] = letter.messageId;
  return headers;
}

export const defaultDlqTopic = (topic: string): string => `${topic}.dlq`;
