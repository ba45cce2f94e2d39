import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@billing/service-kit';
import { loadGatewayEnv } from './config.js';
import { gatewayOptionsFromEnv } from './gateway.options.js';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/billing',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SERVICE_TOKEN: 'gateway-service-token-0123456789abcdef',
  API_KEY_PEPPER: 'pepper-0123456789abcdef0123456789abcdef',
  LEDGER_URL: 'http://127.0.0.1:8083',
  METERING_URL: 'http://127.0.0.1:8082',
  KEYS_URL: 'http://127.0.0.1:8081',
};

describe('the gateway configuration', () => {
  it('loads with defaults for everything optional', () => {
    const env = loadGatewayEnv(valid);
    expect(env).toMatchObject({
      PORT: 8080,
      HOLD_TTL_SECONDS: 600,
      REQUEST_DEADLINE_SECONDS: 1_800,
      CATALOG_REFRESH_SECONDS: 30,
      MAX_BODY_BYTES: 4 * 1024 * 1024,
    });
    expect(env.UPSTREAM_PROVIDERS).toBeUndefined();
  });

  it('reads upstream providers with their keys from the environment', () => {
    const raw = {
      ...valid,
      UPSTREAM_PROVIDERS: 'openai=https://api.openai.com/v1',
      UPSTREAM_OPENAI_API_KEY: 'sk-live-secret',
      HOLD_TTL_SECONDS: '120',
    };
    const options = gatewayOptionsFromEnv(loadGatewayEnv(raw), raw);
    expect(options.upstreams?.get('openai')?.apiKey).toBe('sk-live-secret');
    expect(options.holdTtlSeconds).toBe(120);
  });

  it('refuses to start naming every problem and no value', () => {
    let error: unknown;
    try {
      loadGatewayEnv({
        ...valid,
        LEDGER_URL: 'ledger:8083',
        METERING_URL: undefined,
        UPSTREAM_PROVIDERS: 'openai=ftp://secret-host',
        HOLD_TTL_SECONDS: '0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['LEDGER_URL', 'METERING_URL', 'UPSTREAM_PROVIDERS', 'HOLD_TTL_SECONDS']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('secret-host');
  });

  it('needs the keys service URL for authoritative key lookups, and takes a body limit', () => {
    expect(() => loadGatewayEnv({ ...valid, KEYS_URL: undefined })).toThrow(/KEYS_URL/);
    const raw = { ...valid, MAX_BODY_BYTES: '65536' };
    const options = gatewayOptionsFromEnv(loadGatewayEnv(raw), raw);
    expect(options).toMatchObject({ keysUrl: valid.KEYS_URL, maxBodyBytes: 65_536 });
    expect(() => loadGatewayEnv({ ...valid, MAX_BODY_BYTES: '10' })).toThrow(/MAX_BODY_BYTES/);
  });

  it('takes no admin token: its one credential is its own service token, for the ledger', () => {
    const options = gatewayOptionsFromEnv(loadGatewayEnv(valid), valid);
    expect(options.serviceToken).toBe(valid.SERVICE_TOKEN);
    expect(Object.keys(options)).not.toContain('adminToken');
    expect(() => loadGatewayEnv({ ...valid, SERVICE_TOKEN: undefined })).toThrow(/SERVICE_TOKEN/);
    const short = (() => {
      try {
        loadGatewayEnv({ ...valid, SERVICE_TOKEN: 'too-short-secret' });
      } catch (err) {
        return (err as ConfigError).message;
      }
      return '';
    })();
    expect(short).toContain('SERVICE_TOKEN must be at least 32 characters');
    expect(short).not.toContain('too-short-secret');
  });
});
