import { loadLedgerEnv } from './config.js';
import { ledgerOptionsFromEnv } from './ledger.options.js';

const required = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/billing',
  KAFKA_BROKERS: '127.0.0.1:9092',
  ADMIN_TOKEN: 'an-admin-token-of-some-length',
  CONSOLE_JWT_SECRET: 'a-console-jwt-secret-of-at-least-32-chars',
  SERVICE_TOKENS: 'gateway=a-gateway-service-token-of-some-length-0123',
};

describe('the ledger configuration of snapshots, holds and inbox pruning', () => {
  it('defaults to a snapshot every 1,000 events, 10,000 open holds, inbox rows kept 720 h against a 336 h horizon', () => {
    const options = ledgerOptionsFromEnv(loadLedgerEnv(required));
    expect(options).toMatchObject({
      snapshotEvery: 1_000,
      maxActiveHolds: 10_000,
      inboxPruning: { retentionMs: 720 * 3_600_000, redeliveryHorizonMs: 336 * 3_600_000 },
    });
  });

  it('reads them from the environment', () => {
    const env = loadLedgerEnv({
      ...required,
      LEDGER_SNAPSHOT_EVERY: '500',
      LEDGER_MAX_ACTIVE_HOLDS: '2000',
      INBOX_RETENTION_HOURS: '1000',
      KAFKA_REDELIVERY_HORIZON_HOURS: '700',
    });
    expect(ledgerOptionsFromEnv(env)).toMatchObject({
      snapshotEvery: 500,
      maxActiveHolds: 2_000,
      inboxPruning: { retentionMs: 1_000 * 3_600_000, redeliveryHorizonMs: 700 * 3_600_000 },
    });
  });

  it('refuses values that are not whole numbers in range, naming each variable', () => {
    expect(() =>
      loadLedgerEnv({
        ...required,
        LEDGER_SNAPSHOT_EVERY: '1.5',
        LEDGER_MAX_ACTIVE_HOLDS: '0',
        INBOX_RETENTION_HOURS: 'a month',
      }),
    ).toThrow(/LEDGER_SNAPSHOT_EVERY[\s\S]*LEDGER_MAX_ACTIVE_HOLDS[\s\S]*INBOX_RETENTION_HOURS/);
  });
});
