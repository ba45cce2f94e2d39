import { eventually, uniqueName } from '@billing/testing';
import type { ContractEvent } from '@billing/contracts';
import { verifyAlertSignature } from '../../infrastructure/alerts/alert-signature.js';
import {
  readMail,
  SmtpSink,
  WebhookReceiver,
  type ReceivedWebhook,
} from '../../testing/alert-receivers.js';
import { createPaymentsTestApp, type PaymentsTestApp } from '../../testing/payments-test-app.js';
import type { AlertDeliveryView } from '../../queries/list-alert-deliveries/list-alert-deliveries.query.js';
import type { ConfiguredLowBalanceAlert } from '../configure-low-balance-alert/configure-low-balance-alert.command.js';

// Low-balance alerts against real PostgreSQL and Kafka: BalanceChanged events published on this
// file's ledger topic go through the real consumer (inbox and all) into payments; the webhook
// receiver is a node:http server on 127.0.0.1 and the mail server a local `smtp-server`. The test
// app retries after 200 ms doubling to 1 s (8 attempts), so a whole schedule takes seconds.

let t: PaymentsTestApp;
let hooks: WebhookReceiver;
let smtp: SmtpSink;
const prefix = uniqueName('lba').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  hooks = await WebhookReceiver.start();
  smtp = await SmtpSink.start();
  t = await createPaymentsTestApp({
    lowBalanceAlerts: { smtpUrl: smtp.url, emailFrom: 'Billing alerts <alerts@billing.test>' },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await hooks?.close();
  await smtp?.close();
});

async function configure(
  accountId: string,
  body: Record<string, unknown>,
): Promise<ConfiguredLowBalanceAlert> {
  const res = await t.http<ConfiguredLowBalanceAlert>(
    'PUT',
    `/v1/accounts/${accountId}/low-balance-alert`,
    { token: await t.tokenFor(accountId), body: { enabled: true, threshold: '10', ...body } },
  );
  if (res.status !== 200) throw new Error(`PUT answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function deliveries(accountId: string): Promise<AlertDeliveryView[]> {
  const res = await t.http<{ data: AlertDeliveryView[] }>(
    'GET',
    `/v1/accounts/${accountId}/low-balance-alert/deliveries`,
    { token: await t.tokenFor(accountId) },
  );
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Verified the way docs/CONTRACTS.md tells a receiver to. */
function verified(hook: ReceivedWebhook, secret: string): boolean {
  const header = hook.headers['billing-signature'];
  return verifyAlertSignature(
    typeof header === 'string' ? header : undefined,
    hook.body,
    secret,
    Math.floor(Date.now() / 1000),
  );
}

describe('low-balance alert settings', () => {
  it('saves them, answers the signing secret once, rotates it, and never shows it again', async () => {
    const accountId = account();
    const token = await t.tokenFor(accountId);
    const path = `/v1/accounts/${accountId}/low-balance-alert`;
    expect((await t.http('GET', path, { token })).status).toBe(404);

    const first = await configure(accountId, {
      threshold: '12.5',
      webhookUrl: `${hooks.url}/${accountId}`,
      email: 'ops@example.com',
    });
    expect(first).toEqual({
      accountId,
      enabled: true,
      threshold: '12.5',
      email: 'ops@example.com',
      webhookUrl: `${hooks.url}/${accountId}`,
      webhookSecretSet: true,
      armed: true,
      updatedAt: expect.any(String) as string,
      webhookSecret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/) as string,
    });
    const read = await t.http<Record<string, unknown>>('GET', path, { token });
    expect(read.body).not.toHaveProperty('webhookSecret');
    expect(JSON.stringify(read.body)).not.toContain(first.webhookSecret);

    // Saving again (another URL even) keeps the secret and does not show it.
    const again = await configure(accountId, { webhookUrl: `${hooks.url}/${accountId}/v2` });
    expect(again).not.toHaveProperty('webhookSecret');

    const rotated = await t.http<{ webhookSecret: string }>('POST', `${path}/webhook-secret`, {
      token,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhookSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(rotated.body.webhookSecret).not.toBe(first.webhookSecret);

    // Without a webhook there is no secret; a URL saved later gets a new one.
    const emailOnly = await configure(accountId, { email: 'ops@example.com' });
    expect(emailOnly).toMatchObject({ webhookUrl: null, webhookSecretSet: false });
    expect((await t.http('POST', `${path}/webhook-secret`, { token })).status).toBe(404);
    const renewed = await configure(accountId, { webhookUrl: `${hooks.url}/${accountId}` });
    expect(renewed.webhookSecret).toMatch(/^whsec_/);
    expect([first.webhookSecret, rotated.body.webhookSecret]).not.toContain(renewed.webhookSecret);
  });

  it('refuses hostile input and another account', async () => {
    const accountId = account();
    const path = `/v1/accounts/${accountId}/low-balance-alert`;
    const token = await t.tokenFor(accountId);
    const put = (body: Record<string, unknown>, as = token) =>
      t.http<{ error: { code: string; message: string } }>('PUT', path, {
        token: as,
        body: { enabled: true, threshold: '10', webhookUrl: 'https://example.com/h', ...body },
      });
    const refused = async (body: Record<string, unknown>, status: number, code?: string) => {
      const res = await put(body);
      const answered = code === undefined ? undefined : res.body.error.code;
      expect([body, res.status, answered]).toEqual([body, status, code]);
    };
    await refused(
      { webhookUrl: 'javascript:alert(document.cookie)' },
      400,
      'PAYMENTS.INVALID_WEBHOOK_URL',
    );
    await refused({ webhookUrl: 'http://example.com/h' }, 400, 'PAYMENTS.INVALID_WEBHOOK_URL');
    await refused({ webhookUrl: 'https://u:p@example.com/h' }, 400, 'PAYMENTS.INVALID_WEBHOOK_URL');
    await refused({ webhookUrl: `https://example.com/${'x'.repeat(3000)}` }, 400);
    await refused({ threshold: '1'.repeat(30) }, 400, 'PAYMENTS.AMOUNT_TOO_LARGE');
    await refused({ threshold: '1'.repeat(50) }, 400);
    await refused({ threshold: '1000000.01' }, 400, 'PAYMENTS.AMOUNT_TOO_LARGE');
    await refused({ threshold: '-5' }, 400, 'PAYMENTS.INVALID_AMOUNT');
    await refused({ threshold: '0' }, 400, 'PAYMENTS.INVALID_AMOUNT');
    await refused({ threshold: 10 }, 400);
    await refused({ threshold: '1e9' }, 400, 'PAYMENTS.INVALID_AMOUNT');
    await refused(
      { email: 'ops@example.com\r\nBcc: all@example.com' },
      400,
      'PAYMENTS.INVALID_REQUEST',
    );
    await refused({ email: 'not-an-address' }, 400, 'PAYMENTS.INVALID_REQUEST');
    await refused({ enabled: 'yes' }, 400);
    await refused({ webhookUrl: null }, 400, 'PAYMENTS.INVALID_REQUEST');
    await refused({ secret: 'whsec_mine' }, 400);
    expect((await t.http('GET', path, { token })).status).toBe(404);

    const other = await t.tokenFor(`${accountId}_other`);
    expect((await put({}, other)).status).toBe(403);
    expect((await t.http('GET', path, { token: other })).status).toBe(403);
    expect((await t.http('GET', `${path}/deliveries`, { token: other })).status).toBe(403);
    expect((await t.http('POST', `${path}/webhook-secret`, { token: other })).status).toBe(403);
    expect(await t.count('low_balance_alerts', 'account_id = $1', [accountId])).toBe(0);
  });
});

describe('low-balance alerts over Kafka', () => {
  it('one crossing: exactly one signed webhook and one e-mail with the exact amounts; a replay sends nothing; a top-up re-arms', async () => {
    const accountId = account();
    const email = `${accountId}@example.com`;
    const { webhookSecret } = await configure(accountId, {
      threshold: '10',
      webhookUrl: `${hooks.url}/${accountId}`,
      email,
    });
    if (webhookSecret === undefined) throw new Error('no secret issued');

    // $25 total with $15.123456789 held: $9.876543211 available, below $10 (the total is not).
    const published = await t.publishBalances(accountId, [
      { total: '20', version: 1 },
      { total: '25', available: '9.876543211', version: 2 },
      { total: '5', version: 3 },
    ]);
    const [hook] = await eventually(() => {
      const got = hooks.to(`/${accountId}`);
      return got.length >= 1 ? got : undefined;
    });
    const [mail] = await eventually(() => {
      const got = smtp.to(email);
      return got.length >= 1 ? got : undefined;
    });
    if (!hook || !mail) throw new Error('unreachable');
    const crossing = published[1] as ContractEvent;

    expect(hook.headers['content-type']).toBe('application/json');
    expect(verified(hook, webhookSecret)).toBe(true);
    expect(
      verified({ ...hook, body: hook.body.replace('9.876543211', '99.876543211') }, webhookSecret),
    ).toBe(false);
    expect(JSON.parse(hook.body)).toEqual({
      id: `alert_${crossing.id}`,
      type: 'balance.low',
      accountId,
      threshold: '10',
      available: '9.876543211',
      occurredAt: new Date(crossing.occurredAt).toISOString(),
    });
    expect(hook.headers['billing-delivery-id']).toMatch(/^dlv_[0-9a-f]{32}$/);

    const message = readMail(mail.raw);
    expect(mail.from).toBe('alerts@billing.test');
    expect(message.header('subject')).toBe(
      'Low balance: $9.876543211 available (your alert threshold is $10.00)',
    );
    expect(message.text).toContain(
      `The available balance of account ${accountId} fell to $9.876543211, below your alert threshold of $10.00.`,
    );
    expect(message.text).toContain(`Alert alert_${crossing.id}`);

    // The same event redelivered (same id), and a stale report with a new id: nothing new.
    await t.producer.sendEvents(t.topics.ledger, [crossing, crossing]);
    await t.publishBalances(accountId, [
      { total: '50', version: 2 },
      { total: '1', version: 3 },
    ]);
    await sleep(1_500);
    expect(hooks.to(`/${accountId}`)).toHaveLength(1);
    expect(smtp.to(email)).toHaveLength(1);

    // A top-up lifts it to $50 (re-armed); the next dip alerts once more.
    await t.publishBalances(accountId, [
      { total: '50', version: 4 },
      { total: '10', version: 5 },
      { total: '3.5', version: 6 },
      { total: '2', version: 7 },
    ]);
    await eventually(() => (hooks.to(`/${accountId}`).length >= 2 ? true : undefined));
    await eventually(() => (smtp.to(email).length >= 2 ? true : undefined));
    await sleep(800);
    expect(hooks.to(`/${accountId}`)).toHaveLength(2);
    expect(smtp.to(email)).toHaveLength(2);
    expect(JSON.parse(hooks.to(`/${accountId}`)[1]?.body ?? '{}')).toMatchObject({
      available: '3.5',
      threshold: '10',
    });
    expect(readMail(smtp.to(email)[1]?.raw ?? '').header('subject')).toBe(
      'Low balance: $3.50 available (your alert threshold is $10.00)',
    );

    const log = await eventually(async () => {
      const rows = await deliveries(accountId);
      return rows.length === 4 && rows.every((r) => r.status === 'delivered') ? rows : undefined;
    });
    expect(log.map((r) => [r.channel, r.status, r.attempts, r.lastError])).toEqual(
      expect.arrayContaining([
        ['webhook', 'delivered', 1, null],
        ['webhook', 'delivered', 1, null],
        ['email', 'delivered', 1, null],
        ['email', 'delivered', 1, null],
      ]),
    );
    expect(log.every((r) => r.deliveredAt !== null && r.nextAttemptAt === null)).toBe(true);
  });

  it('a receiver answering 500 twice then 200 gets three attempts of the same signed delivery, backed off', async () => {
    const accountId = account();
    const path = `/${accountId}`;
    hooks.answer(path, [500, 500, 200]);
    const { webhookSecret = '' } = await configure(accountId, {
      webhookUrl: `${hooks.url}${path}`,
    });
    await t.publishBalances(accountId, [
      { total: '20', version: 1 },
      { total: '4', version: 2 },
    ]);

    const log = await eventually(async () => {
      const rows = await deliveries(accountId);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    }, 10_000);
    expect(log).toEqual([
      expect.objectContaining({
        channel: 'webhook',
        status: 'delivered',
        attempts: 3,
        responseStatus: 200,
        lastError: null,
      }),
    ]);
    const got = hooks.to(path);
    expect(got.map((h) => h.answered)).toEqual([500, 500, 200]);
    expect(new Set(got.map((h) => h.headers['billing-delivery-id'])).size).toBe(1);
    expect(new Set(got.map((h) => h.body)).size).toBe(1);
    expect(got.every((h) => verified(h, webhookSecret))).toBe(true);
    // 200 ms, then 400 ms (and not much more: 100 ms sweeps).
    const [a, b, c] = got.map((h) => h.receivedAtMs);
    expect(b! - a!).toBeGreaterThanOrEqual(190);
    expect(c! - b!).toBeGreaterThanOrEqual(390);
    expect(c! - a!).toBeLessThan(3_000);
  });

  it('retries a receiver that does not answer in time, and an SMTP server that refuses for now', async () => {
    const accountId = account();
    const path = `/${accountId}`;
    const email = `${accountId}@example.com`;
    hooks.answer(path, [0, 200]);
    smtp.refuseNext(2);
    await configure(accountId, { webhookUrl: `${hooks.url}${path}`, email });
    await t.publishBalances(accountId, [{ total: '0.5', version: 1 }]);

    const log = await eventually(async () => {
      const rows = await deliveries(accountId);
      return rows.length === 2 && rows.every((r) => r.status === 'delivered') ? rows : undefined;
    }, 15_000);
    const byChannel = Object.fromEntries(log.map((r) => [r.channel, r]));
    expect(byChannel.webhook).toMatchObject({ attempts: 2, responseStatus: 200 });
    expect(byChannel.email).toMatchObject({ attempts: 3, responseStatus: null });
    // The first request waited for the 1 s timeout of this test app before the retry.
    const [hung, answered] = hooks.to(path);
    expect(answered!.receivedAtMs - hung!.receivedAtMs).toBeGreaterThanOrEqual(1_000);
    expect(smtp.to(email)).toHaveLength(1);
    expect(readMail(smtp.to(email)[0]?.raw ?? '').header('subject')).toBe(
      'Low balance: $0.50 available (your alert threshold is $10.00)',
    );
  });

  it('records why an attempt failed while it is still being retried', async () => {
    const accountId = account();
    const path = `/${accountId}`;
    hooks.answer(path, [0, 0, 0, 0, 0, 0, 0, 0]);
    await configure(accountId, { webhookUrl: `${hooks.url}${path}` });
    await t.publishBalances(accountId, [{ total: '2', version: 1 }]);
    const [row] = await eventually(async () => {
      const rows = await deliveries(accountId);
      return rows[0]?.lastError ? rows : undefined;
    }, 10_000);
    expect(row).toMatchObject({
      status: 'pending',
      lastError: 'no answer within 1000 ms',
      responseStatus: null,
      nextAttemptAt: expect.any(String) as string,
    });
  });

  it('gives up after 8 attempts and says why; the log shows the last error', async () => {
    const accountId = account();
    const path = `/${accountId}`;
    hooks.answer(
      path,
      Array.from({ length: 20 }, () => 503),
    );
    await configure(accountId, { webhookUrl: `${hooks.url}${path}` });
    await t.publishBalances(accountId, [{ total: '1', version: 1 }]);

    const [row] = await eventually(async () => {
      const rows = await deliveries(accountId);
      return rows[0]?.status === 'failed' ? rows : undefined;
    }, 15_000);
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 8,
      responseStatus: 503,
      lastError: 'the receiver answered HTTP 503',
      deliveredAt: null,
      nextAttemptAt: null,
    });
    await sleep(1_200);
    expect(hooks.to(path)).toHaveLength(8);
  });

  it('never sends one delivery twice when sweeps run concurrently (FOR UPDATE SKIP LOCKED)', async () => {
    const accounts = Array.from({ length: 12 }, () => account());
    for (const a of accounts) await configure(a, { webhookUrl: `${hooks.url}/${a}` });
    await Promise.all(
      accounts.map((a) =>
        t.publishBalances(a, [
          { total: '20', version: 1 },
          { total: '2', version: 2 },
        ]),
      ),
    );
    // Besides the scheduler's own sweeps, many at once: each claims in its own transaction.
    const sweeps = Array.from({ length: 30 }, (_, i) =>
      sleep(i * 20).then(() => t.alertWorker.runOnce()),
    );
    await Promise.all(sweeps);
    await eventually(() =>
      accounts.every((a) => hooks.to(`/${a}`).length >= 1) ? true : undefined,
    );
    await sleep(800);
    expect(accounts.map((a) => hooks.to(`/${a}`).length)).toEqual(accounts.map(() => 1));
  });

  it('sends a delivery left claimed by a worker that died, once its lease ran out (rows, not memory)', async () => {
    const accountId = account();
    const { webhookSecret = '' } = await configure(accountId, {
      webhookUrl: `${hooks.url}/${accountId}`,
    });
    const body = JSON.stringify({ id: 'alert_orphan', type: 'balance.low', accountId });
    // As a crashed process leaves it: claimed (attempt 1 counted), lease expired a moment ago.
    await t.db.query(
      `INSERT INTO ${t.schema}.alert_deliveries (delivery_id, alert_id, account_id, channel,
              destination, body, status, attempts, next_attempt_at, lease_token, created_at)
       VALUES ('dlv_orphan', 'alert_orphan', $1, 'webhook', $2, $3, 'pending', 1,
               now() - interval '1 second', 'a-dead-worker', now())`,
      [accountId, `${hooks.url}/${accountId}`, body],
    );
    const [hook] = await eventually(() => {
      const got = hooks.to(`/${accountId}`);
      return got.length >= 1 ? got : undefined;
    });
    expect(hook?.body).toBe(body);
    expect(hook && verified(hook, webhookSecret)).toBe(true);
    const [row] = await eventually(async () => {
      const rows = await deliveries(accountId);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    });
    expect(row).toMatchObject({ id: 'dlv_orphan', attempts: 2, status: 'delivered' });
  });
});

describe('low-balance alerts without an SMTP server', () => {
  let bare: PaymentsTestApp;
  beforeAll(async () => {
    bare = await createPaymentsTestApp({ kafka: false });
  }, 60_000);
  afterAll(async () => {
    await bare?.close();
  });

  it('refuses an e-mail alert with 409 PAYMENTS.EMAIL_ALERTS_UNAVAILABLE and keeps nothing; a webhook alone is saved', async () => {
    const accountId = account();
    const path = `/v1/accounts/${accountId}/low-balance-alert`;
    const token = await bare.tokenFor(accountId);
    const refused = await bare.http<{ error: { code: string; message: string } }>('PUT', path, {
      token,
      body: { enabled: true, threshold: '10', email: 'ops@example.com' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      code: 'PAYMENTS.EMAIL_ALERTS_UNAVAILABLE',
      message: 'this deployment sends no e-mail (no SMTP server is configured): use a webhook',
    });
    expect((await bare.http('GET', path, { token })).status).toBe(404);
    const saved = await bare.http<{ webhookUrl: string }>('PUT', path, {
      token,
      body: { enabled: true, threshold: '10', webhookUrl: 'https://example.com/hooks/billing' },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.webhookUrl).toBe('https://example.com/hooks/billing');
  });
});
