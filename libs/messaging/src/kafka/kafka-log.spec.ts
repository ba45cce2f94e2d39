import { logLevel } from 'kafkajs';
import type { MessagingLogger } from '../types.js';
import { ACCEPTED_KAFKAJS_WARNING, kafkaLogCreator } from './kafka-log.js';

function recordingLogger(): MessagingLogger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Producer',
  level,
  label: logLevel[level],
  log: { timestamp: '2026-01-01T00:00:00.000Z', message, ...extra },
});

describe('kafkaLogCreator', () => {
  it('drops only the accepted retry-limit warning of the idempotent producer', () => {
    const logger = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.WARN);
    log(entry(logLevel.WARN, ACCEPTED_KAFKAJS_WARNING));
    expect(logger.lines).toEqual([]);
  });

  it('passes every other line on at its level, with its fields and without the timestamp', () => {
    const logger = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log(entry(logLevel.WARN, 'Limiting retries is fine', { retryCount: 1 }));
    log(entry(logLevel.ERROR, 'Connection error', { broker: 'b:9092' }));
    log(entry(logLevel.INFO, 'Starting'));
    expect(logger.lines).toEqual([
      'warn kafkajs Producer: Limiting retries is fine {"retryCount":1}',
      'error kafkajs Producer: Connection error {"broker":"b:9092"}',
      'info kafkajs Producer: Starting {}',
    ]);
  });
});
