import { uniqueName } from '@billing/testing';
import {
  AUDITOR_TOKEN,
  createPaymentsTestApp,
  PaymentsTopicReader,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';
import type { AdminCreditView } from './grant-admin-credit.command.js';

// Real PostgreSQL and Kafka: the events are read back from the real payments.v1.

let t: PaymentsTestApp;
let reader: PaymentsTopicReader;
const prefix = uniqueName('adm').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

beforeAll(async () => {
  t = await createPaymentsTestApp();
  if (!t.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(t.kafka, prefix);
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  await t?.close();
});

const grant = (accountId: string, body: Record<string, unknown>, token?: string) =>
  t.http<AdminCreditView & { error?: { code: string; message: string } }>(
    'POST',
    `/v1/admin/accounts/${accountId}/credits`,
    { body, ...(token === undefined ? {} : { token }) },
  );

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('admin credits', () => {
  it('grants a gift once: the same reference and body answer the first result, a different body is a conflict', async () => {
    const accountId = account();
    const reference = uniqueName('gift-ref');
    const body = {
      type: 'gift',
      amount: '25',
      reason: 'welcome',
      reference,
      expiresAt: '2099-01-01T00:00:00Z',
    };
    const first = await grant(accountId, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      creditId: expect.stringMatching(/^gift_/) as string,
      accountId,
      type: 'gift',
      amount: '25',
      reason: 'welcome',
      reference,
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    const replay = await grant(accountId, body);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    // The same meaning spelled differently is the same request.
    expect(
      (await grant(accountId, { ...body, amount: '25.00', expiresAt: '2099-01-01T00:00:00.000Z' }))
        .status,
    ).toBe(200);
    const conflict = await grant(accountId, { ...body, amount: '26' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error?.code).toBe('PAYMENTS.REFERENCE_CONFLICT');
    expect((await grant(`${accountId}_b`, body)).status).toBe(409);

    const events = await reader.waitFor(accountId, 1);
    await sleep(500);
    expect(reader.of(accountId)).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: first.body.eventId,
      type: 'GiftGranted',
      source: 'payments',
      data: {
        giftId: first.body.creditId,
        amount: '25',
        reason: 'welcome',
        expiresAt: '2099-01-01T00:00:00.000Z',
      },
    });
  });

  it('publishes one event for concurrent replays of one reference', async () => {
    const accountId = account();
    const body = {
      type: 'compensation',
      amount: '3.5',
      reason: 'AI insurance claim',
      reference: uniqueName('claim'),
      claimId: 'claim_42',
    };
    const answers = await Promise.all(Array.from({ length: 6 }, () => grant(accountId, body)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.creditId)).size).toBe(1);
    await reader.waitFor(accountId, 1);
    await sleep(500);
    expect(reader.of(accountId).map((e) => [e.type, e.data])).toEqual([
      [
        'CompensationIssued',
        {
          compensationId: answers[0]?.body.creditId,
          amount: '3.5',
          reason: 'AI insurance claim',
          claimId: 'claim_42',
        },
      ],
    ]);
  });

  it('maps referral and signed adjustments to their events', async () => {
    const accountId = account();
    const referral = await grant(accountId, {
      type: 'referral',
      amount: '10',
      reason: 'friend joined',
      reference: uniqueName('ref'),
      referredAccountId: 'acct_friend',
    });
    const minus = await grant(accountId, {
      type: 'adjustment',
      amount: '-2.5',
      reason: 'correction',
      reference: uniqueName('adj'),
    });
    expect([referral.status, minus.status]).toEqual([201, 201]);
    const events = await reader.waitFor(accountId, 2);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'ReferralRewarded',
        {
          referralId: referral.body.creditId,
          amount: '10',
          reason: 'friend joined',
          referredAccountId: 'acct_friend',
        },
      ],
      [
        'CreditsAdjusted',
        { adjustmentId: minus.body.creditId, amount: '-2.5', reason: 'correction' },
      ],
    ]);
  });

  it('refuses what the events cannot carry, and anyone but the admin (the auditor included)', async () => {
    const accountId = account();
    const base = { reason: 'x', reference: uniqueName('bad') };
    const cases: [Record<string, unknown>, number, string?][] = [
      [{ ...base, type: 'adjustment', amount: '0' }, 400, 'PAYMENTS.INVALID_AMOUNT'],
      [{ ...base, type: 'gift', amount: '-1' }, 400, 'PAYMENTS.INVALID_AMOUNT'],
      [
        { ...base, type: 'adjustment', amount: '1', expiresAt: '2099-01-01T00:00:00Z' },
        400,
        'PAYMENTS.INVALID_REQUEST',
      ],
      [
        { ...base, type: 'gift', amount: '1', expiresAt: '2001-01-01T00:00:00Z' },
        400,
        'PAYMENTS.INVALID_REQUEST',
      ],
      [
        { ...base, type: 'gift', amount: '1', expiresAt: 'tomorrow' },
        400,
        'PAYMENTS.INVALID_REQUEST',
      ],
      [{ ...base, type: 'gift', amount: 1 }, 400],
      [{ ...base, type: 'bonus', amount: '1' }, 400],
      [{ ...base, type: 'gift', amount: '1', reference: 'has space' }, 400],
      [{ ...base, type: 'gift', amount: '1', unknown: true }, 400],
    ];
    for (const [body, status, code] of cases) {
      const res = await grant(accountId, body);
      expect([res.status, code ? res.body.error?.code : undefined]).toEqual([status, code]);
    }
    const asAccount = await grant(
      accountId,
      { ...base, type: 'gift', amount: '1' },
      await t.tokenFor(accountId),
    );
    expect(asAccount.status).toBe(403);
    const asAuditor = await grant(
      accountId,
      { ...base, type: 'compensation', amount: '1' },
      AUDITOR_TOKEN,
    );
    expect([asAuditor.status, asAuditor.body.error?.code]).toEqual([403, 'AUTH.READ_ONLY']);
    expect(await t.count('admin_credits', 'account_id = $1', [accountId])).toBe(0);
    expect(await t.count('outbox', 'message_key = $1', [accountId])).toBe(0);
  });

  it("lets the read-only auditor read an account's top-ups and payment methods", async () => {
    const accountId = account();
    for (const path of ['top-ups', 'payment-methods', 'invoices']) {
      const res = await t.http('GET', `/v1/accounts/${accountId}/${path}`, {
        token: AUDITOR_TOKEN,
      });
      expect([path, res.status]).toEqual([path, 200]);
    }
  });
});
