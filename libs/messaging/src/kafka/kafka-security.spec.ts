import { kafkaSecurityConfig } from './kafka-security.js';

describe('kafkaSecurityConfig', () => {
  it('adds nothing without SASL or TLS', () => {
    expect(kafkaSecurityConfig()).toEqual({});
    expect(kafkaSecurityConfig({})).toEqual({});
  });

  it('passes SCRAM credentials to kafkajs with their mechanism', () => {
    expect(
      kafkaSecurityConfig({
        sasl: { mechanism: 'scram-sha-256', username: 'keys', password: 'p' },
      }),
    ).toEqual({ sasl: { mechanism: 'scram-sha-256', username: 'keys', password: 'p' } });
    expect(
      kafkaSecurityConfig({
        sasl: { mechanism: 'scram-sha-512', username: 'ledger', password: 'q' },
      }),
    ).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'ledger', password: 'q' } });
  });

  it("always verifies the broker's certificate, against the given CA, with the client certificate", () => {
    expect(kafkaSecurityConfig({ tls: {} })).toEqual({ ssl: { rejectUnauthorized: true } });
    expect(kafkaSecurityConfig({ tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } })).toEqual({
      ssl: { rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY' },
    });
  });
});
