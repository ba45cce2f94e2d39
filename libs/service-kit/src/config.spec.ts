import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.js';
import { loadConfig, loadConfigVariables } from './config.js';
import {
  AccountFacingEnv,
  accountTokensFromEnv,
  BaseServiceEnv,
  IsIntegerEnv,
  IsServiceTokens,
  kafkaSecurity,
  serviceTokensFromEnv,
} from './env.js';

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

  it('takes an optional auditor token: at least 16 characters, never the admin token, never echoed', () => {
    expect(loadConfig('test', TestEnv, valid).AUDITOR_TOKEN).toBeUndefined();
    const auditor = 'auditor-token-0123456789';
    expect(loadConfig('test', TestEnv, { ...valid, AUDITOR_TOKEN: auditor }).AUDITOR_TOKEN).toBe(
      auditor,
    );
    expect(() => loadConfig('test', TestEnv, { ...valid, AUDITOR_TOKEN: 'short' })).toThrow(
      /AUDITOR_TOKEN must be at least 16 characters/,
    );
    let message = '';
    try {
      loadConfig('test', TestEnv, { ...valid, AUDITOR_TOKEN: valid.ADMIN_TOKEN });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('AUDITOR_TOKEN must differ from ADMIN_TOKEN');
    expect(message).not.toContain(valid.ADMIN_TOKEN);
  });
});

describe('Kafka security settings', () => {
  const sasl = {
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'ledger',
    KAFKA_SASL_PASSWORD: 'ledger-password-0123456789',
  };
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-tls-'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) {
      writeFileSync(join(dir, name), `-----BEGIN ${name}-----\n`);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problems = (env: Record<string, string>): string => {
    try {
      loadConfig('test', TestEnv, { ...valid, ...env });
    } catch (err) {
      return (err as ConfigError).message;
    }
    return '';
  };

  it('connects without SASL or TLS when none is configured (development and tests)', () => {
    expect(kafkaSecurity(loadConfig('test', TestEnv, valid))).toEqual({});
  });

  it('reads SCRAM credentials and the TLS files into the client settings', () => {
    const env = loadConfig('test', TestEnv, {
      ...valid,
      ...sasl,
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: join(dir, 'ca.pem'),
      KAFKA_TLS_CERT_FILE: join(dir, 'cert.pem'),
      KAFKA_TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    expect(kafkaSecurity(env)).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'ledger', password: sasl.KAFKA_SASL_PASSWORD },
      tls: {
        ca: '-----BEGIN ca.pem-----\n',
        cert: '-----BEGIN cert.pem-----\n',
        key: '-----BEGIN key.pem-----\n',
      },
    });
    expect(kafkaSecurity(loadConfig('test', TestEnv, { ...valid, KAFKA_TLS: 'true' }))).toEqual({
      tls: {},
    });
  });

  it('refuses to start in production without SASL on Kafka', () => {
    expect(problems({ NODE_ENV: 'production' })).toContain(
      'KAFKA_SASL_MECHANISM must be one of scram-sha-256, scram-sha-512',
    );
    expect(problems({ NODE_ENV: 'production', ...sasl })).toBe('');
  });

  it('names a bad Kafka setting without echoing the password', () => {
    const message = problems({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_PASSWORD: sasl.KAFKA_SASL_PASSWORD,
      KAFKA_TLS: 'yes',
    });
    expect(message).toContain('KAFKA_SASL_MECHANISM must be one of scram-sha-256, scram-sha-512');
    expect(message).toContain('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    expect(message).toContain('KAFKA_TLS must be true or false');
    expect(message).not.toContain(sasl.KAFKA_SASL_PASSWORD);
  });

  it('needs a username and a password with a mechanism, and a mechanism with a username', () => {
    const message = problems({ KAFKA_SASL_MECHANISM: 'scram-sha-256' });
    expect(message).toContain('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    expect(message).toContain('KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM');
    expect(problems({ KAFKA_SASL_USERNAME: 'ledger', KAFKA_SASL_PASSWORD: 'x' })).toContain(
      'KAFKA_SASL_MECHANISM must be one of',
    );
  });

  it('refuses TLS files that cannot be read, files without KAFKA_TLS, and a certificate without its key', () => {
    const missing = join(dir, 'missing.pem');
    expect(problems({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: missing })).toContain(
      'KAFKA_TLS_CA_FILE must name a readable file',
    );
    expect(problems({ KAFKA_TLS_CA_FILE: join(dir, 'ca.pem') })).toContain(
      'KAFKA_TLS_CA_FILE needs KAFKA_TLS=true',
    );
    expect(problems({ KAFKA_TLS: 'true', KAFKA_TLS_CERT_FILE: join(dir, 'cert.pem') })).toContain(
      'KAFKA_TLS_KEY_FILE is required with KAFKA_TLS_CERT_FILE',
    );
  });
});

class AccountEnv extends AccountFacingEnv {
  override PORT = 9998;
  @IsServiceTokens()
  SERVICE_TOKENS!: string;
}

const gatewayToken = 'gateway-service-token-0123456789abcdef';
const accountValid = {
  ...valid,
  CONSOLE_JWT_SECRET: 'console-jwt-secret-0123456789abcdef0123',
  SERVICE_TOKENS: `gateway=${gatewayToken}`,
};

const problemsOf = (env: Record<string, string | undefined>): string => {
  try {
    loadConfig('test', AccountEnv, env);
  } catch (err) {
    return (err as ConfigError).message;
  }
  return '';
};

describe('account tokens and service tokens in the environment', () => {
  it('defaults the issuer, audience and lifetime, and verifies HS256 with the secret', () => {
    const env = loadConfig('test', AccountEnv, accountValid);
    expect(accountTokensFromEnv(env)).toEqual({
      secret: accountValid.CONSOLE_JWT_SECRET,
      issuer: 'billing-console',
      audience: 'billing-api',
      maxLifetimeSeconds: 86_400,
    });
    expect(serviceTokensFromEnv(env.SERVICE_TOKENS)).toEqual([
      { service: 'gateway', token: gatewayToken },
    ]);
  });

  it('takes a JWKS URL instead of the secret, and then never verifies HS256', () => {
    const env = loadConfig('test', AccountEnv, {
      ...accountValid,
      CONSOLE_JWT_SECRET: undefined,
      CONSOLE_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      CONSOLE_JWT_ISSUER: 'https://idp.example',
      CONSOLE_JWT_AUDIENCE: 'billing',
      CONSOLE_JWT_MAX_LIFETIME_SECONDS: '3600',
    });
    expect(accountTokensFromEnv(env)).toEqual({
      jwksUrl: 'https://idp.example/.well-known/jwks.json',
      issuer: 'https://idp.example',
      audience: 'billing',
      maxLifetimeSeconds: 3600,
    });
  });

  it('needs the secret when there is no JWKS URL, and a sane lifetime', () => {
    expect(problemsOf({ ...accountValid, CONSOLE_JWT_SECRET: undefined })).toContain(
      'CONSOLE_JWT_SECRET',
    );
    expect(problemsOf({ ...accountValid, CONSOLE_JWT_MAX_LIFETIME_SECONDS: '0' })).toContain(
      'CONSOLE_JWT_MAX_LIFETIME_SECONDS',
    );
    expect(problemsOf({ ...accountValid, CONSOLE_JWKS_URL: 'ftp://idp' })).toContain(
      'CONSOLE_JWKS_URL',
    );
  });

  it('refuses malformed SERVICE_TOKENS naming the entry, never the token', () => {
    const message = problemsOf({ ...accountValid, SERVICE_TOKENS: `gateway=short-s3cret` });
    expect(message).toContain('SERVICE_TOKENS');
    expect(message).toContain('entry 1');
    expect(message).not.toContain('short-s3cret');
    expect(problemsOf({ ...accountValid, SERVICE_TOKENS: undefined })).toContain('SERVICE_TOKENS');
  });
});

describe('loadConfigVariables', () => {
  class PartEnv extends TestEnv {
    @IsIntegerEnv({ min: 1, max: 10 }, { message: 'LIMIT must be an integer from 1 to 10' })
    LIMIT = 3;
  }

  it('validates the variables named, with the class’s rules and defaults, without the others', () => {
    // No DATABASE_URL, KAFKA_BROKERS or ADMIN_TOKEN: not asked for.
    expect(loadConfigVariables('test', PartEnv, ['LIMIT'], {})).toEqual({ LIMIT: 3 });
    expect(loadConfigVariables('test', PartEnv, ['LIMIT'], { LIMIT: '7' })).toEqual({ LIMIT: 7 });
  });

  it('refuses a malformed variable named with the class’s message, and ignores one not named', () => {
    expect(() =>
      loadConfigVariables('test', PartEnv, ['LIMIT'], { LIMIT: '11', DATABASE_URL: 'nope' }),
    ).toThrow(/LIMIT must not be greater than 10/);
    expect(() =>
      loadConfigVariables('test', PartEnv, ['LIMIT'], { LIMIT: '11', DATABASE_URL: 'nope' }),
    ).not.toThrow(/DATABASE_URL/);
  });
});
