// The redaction list, through real log calls: every secret the platform handles is written the
// ways code writes it (in the message, as a field, inside an error, in a URL) to a real pino
// logger, and the bytes written must not contain it.
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { annotateRequest, runWithRequestContext, setTraceIdSource } from './context.js';
import { createLogger, PinoNestLogger } from './logger.js';

function capture(): {
  lines: () => Record<string, unknown>[];
  text: () => string;
  stream: Writable;
} {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString('utf8');
      cb();
    },
  });
  return {
    stream,
    text: () => out,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = {
  platformApiKey: 'sk-payg-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c',
  providerApiKey: 'sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUv',
  stripeSecretKey: 'sk_live_51HabcdefGHIJKLmnopQRSTuvwxYZ0123',
  stripeWebhookSecret: 'whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  stripeSignature: 'v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
  consoleToken:
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2N0XzQyIiwiZXhwIjoxOTAwMDAwMDAwfQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ',
  adminToken: 'adm1n-T0ken-with-no-recognisable-shape-000111',
  serviceToken: 'gw-service-credential-0123456789abcdef0123',
  cardNumber: '4242424242424242',
  cardNumberSpaced: '4000 0566 5566 5556',
  databasePassword: 'pg-Secret-Pass-77',
  kafkaPassword: 'ledger-dev-kafka-secret-change-me',
  alertWebhookSecret: 'whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  alertSignature: 'v1=9c2d0b1e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c',
  smtpPassword: 'smtp-Relay-Pass-42',
};

describe('the log redaction list', () => {
  it('never writes a secret, whichever way a log call carries it', () => {
    const out = capture();
    const log = createLogger({ service: 'test', destination: out.stream, pretty: false });
    const nest = new PinoNestLogger(log);
    const s = SECRETS;

    // In the message text.
    log.info(`calling upstream with Authorization: Bearer ${s.providerApiKey}`);
    log.warn(`the upstream said: invalid key ${s.providerApiKey}`);
    log.info(`new key ${s.platformApiKey} created`);
    log.error(`stripe client with ${s.stripeSecretKey} failed`);
    log.warn(`webhook secret ${s.stripeWebhookSecret} does not match`);
    log.warn(`bad Stripe-Signature t=1700000000,${s.stripeSignature}`);
    log.info(`account token ${s.consoleToken}`);
    log.info(`paid with card ${s.cardNumber} and ${s.cardNumberSpaced}`);
    log.error(`connect failed: postgres://billing:${s.databasePassword}@db:5432/billing`);
    log.error(`broker url kafka://ledger:${s.kafkaPassword}@broker:9092`);
    log.info(`dsn host=db user=billing password=${s.databasePassword}`);
    log.warn(`alert webhook signed with ${s.alertWebhookSecret} was refused`);
    log.error(`smtp failed: smtp://alerts:${s.smtpPassword}@mail.example.com:587`);
    // As fields, by name (values with no recognisable shape).
    log.info({ headers: { authorization: `Bearer ${s.adminToken}` } }, 'request');
    log.info({ authorization: s.serviceToken, 'stripe-signature': s.stripeSignature }, 'hdrs');
    log.info({ config: { KAFKA_SASL_PASSWORD: s.kafkaPassword, password: s.kafkaPassword } }, 'c');
    log.info({ adminToken: s.adminToken, serviceTokens: [s.serviceToken] }, 'tokens');
    log.info({ 'billing-signature': `t=1,${s.alertSignature}`, smtpUrl: s.smtpPassword }, 'alert');
    log.info(
      { card: { number: s.cardNumber, cvc: '123' }, webhookSecret: s.stripeWebhookSecret },
      'pm',
    );
    log.info({ apiKey: s.adminToken, secret: s.adminToken, token: s.serviceToken }, 'keys');
    // Inside errors, as the error object and through Nest's logger (message, stack).
    log.error(new Error(`refused key ${s.platformApiKey}`), 'failed');
    log.error({ err: new Error(`DSN postgres://u:${s.databasePassword}@h/db`) }, 'pool');
    nest.error(
      `stripe failed for ${s.stripeSecretKey}`,
      `Error: x\n    at f (${s.consoleToken})`,
      'Payments',
    );
    nest.warn({ msg: 'dead-lettering', error: `Bearer ${s.adminToken}` }, 'ledger.usage');
    nest.log(`created ${s.platformApiKey}`, 'Keys');

    const text = out.text();
    expect(out.lines()).toHaveLength(25);
    for (const [name, secret] of Object.entries(s)) {
      expect({ name, leaked: text.includes(secret) }).toEqual({ name, leaked: false });
    }
    // The CVC as a field under `card` went with the card, and what is not secret stays readable.
    expect(text).not.toContain('"cvc"');
    expect(text).toContain('postgres://billing:[redacted]@db:5432/billing');
    expect(text).toContain('Bearer [redacted]');
  });

  it('keeps what is not a secret: ids, token counts, offsets, amounts', () => {
    const out = capture();
    const log = createLogger({ service: 'test', destination: out.stream, pretty: false });
    log.info(
      {
        requestId: 'req_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
        inputTokens: 1200,
        outputTokens: 34,
        offset: '1234567890123456',
        amount: '0.000153',
        topic: 'usage.recorded.v1',
      },
      'charged',
    );
    expect(out.lines()[0]).toMatchObject({
      msg: 'charged',
      requestId: 'req_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      inputTokens: 1200,
      outputTokens: 34,
      offset: '1234567890123456',
      amount: '0.000153',
    });
  });

  it('writes one JSON object per line with service, level, time, request id, account and trace id', () => {
    const out = capture();
    const log = createLogger({ service: 'ledger', destination: out.stream, pretty: false });
    log.info('outside');
    runWithRequestContext({ service: 'ledger', requestId: 'r-1' }, () => {
      annotateRequest({ accountId: 'acct_42' });
      setTraceIdSource(() => '4bf92f3577b34da6a3ce929d0e0e4736');
      try {
        log.warn({ context: 'Ledger' }, 'inside');
      } finally {
        setTraceIdSource(() => undefined);
      }
    });
    const [outside, inside] = out.lines();
    expect(outside).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      service: 'ledger',
      msg: 'outside',
    });
    expect(inside).toMatchObject({
      level: 'warn',
      service: 'ledger',
      requestId: 'r-1',
      accountId: 'acct_42',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      context: 'Ledger',
      msg: 'inside',
    });
  });

  it("maps Nest's logger calls: context, stack, levels, framework chatter at debug", () => {
    const out = capture();
    const nest = new PinoNestLogger(
      createLogger({ service: 's', destination: out.stream, pretty: false, level: 'info' }),
    );
    const previous = process.env.LOG_LEVEL;
    delete process.env.LOG_LEVEL;
    try {
      Logger.overrideLogger(nest);
      new Logger('Keys').log('ready');
      new Logger('Keys').error('failed', 'Error: boom\n    at x (y.ts:1:1)');
      new Logger('InstanceLoader').log('KeysModule dependencies initialized');
      nest.setLogLevels(['warn', 'error']);
      new Logger('Keys').log('dropped');
      new Logger('Keys').warn('kept');
    } finally {
      Logger.overrideLogger(false);
      if (previous !== undefined) process.env.LOG_LEVEL = previous;
    }
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'info', context: 'Keys', msg: 'ready' }),
      expect.objectContaining({
        level: 'error',
        context: 'Keys',
        msg: 'failed',
        stack: 'Error: boom\n    at x (y.ts:1:1)',
      }),
      expect.objectContaining({ level: 'warn', context: 'Keys', msg: 'kept' }),
    ]);
  });
});
