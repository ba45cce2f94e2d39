import { ConfigError } from './config.js';
import { loadConfig } from './config.js';
import { BaseServiceEnv } from './env.js';

class TestEnv extends BaseServiceEnv {
  override PORT = 9999;
}

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/billing',
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
  ADMIN_TOKEN: 'admin-token-0123456789',
};

describe('loadConfig', () => {
  it('returns typed values and applies the service default port', () => {
    const env = loadConfig('test', TestEnv, valid);
    expect(env.PORT).toBe(9999);
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:9092,127.0.0.1:9093');
    expect(env.NODE_ENV).toBe('development');
  });

  it('parses PORT from the environment', () => {
    expect(loadConfig('test', TestEnv, { ...valid, PORT: '8123' }).PORT).toBe(8123);
  });

  it('names every missing or malformed variable at once, without echoing values', () => {
    const secret = 'postgres-but-not-a-url-with-secret-s3cr3t';
    let caught: unknown;
    try {
      loadConfig('test', TestEnv, { DATABASE_URL: secret, PORT: 'eighty' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain('test: refusing to start');
    expect(message).toContain('DATABASE_URL must be a postgres:// connection string');
    expect(message).toContain('KAFKA_BROKERS');
    expect(message).toContain('ADMIN_TOKEN');
    expect(message).toContain('PORT');
    expect(message).not.toContain(secret);
  });

  it('rejects a short admin token', () => {
    expect(() => loadConfig('test', TestEnv, { ...valid, ADMIN_TOKEN: 'short' })).toThrow(
      /ADMIN_TOKEN must be at least 16 characters/,
    );
  });
});
