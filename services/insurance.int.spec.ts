import { randomUUID } from 'node:crypto';
import { decodeEvent, type CompensationIssued } from '@billing/contracts';
import { eventually } from '@billing/testing';
import { EvaluateInsuranceCommand } from './metering/src/commands/evaluate-insurance/evaluate-insurance.command.js';
import { InsuranceScheduler } from './metering/src/commands/evaluate-insurance/insurance-scheduler.js';
import { DEFAULT_INSURANCE_POLICY } from './metering/src/metering.options.js';
import type { ClaimPage } from './metering/src/queries/list-claims/list-claims.query.js';
import {
  createMeteringTestApp,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from './metering/src/testing/metering-test-app.js';
import { verifyAuditChains } from './ledger/src/ops/audit.js';
import { verifyProjections } from './ledger/src/ops/verify.js';
import type { CreditsBreakdownView } from './ledger/src/queries/get-credits-breakdown/get-credits-breakdown.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  type LedgerTestApp,
} from './ledger/src/testing/ledger-test-app.js';
import { CommandBus } from '@nestjs/cqrs';

// The AI insurance across the two services it spans, through the real broker and the real
// database: metering prices usage and publishes UsageRecorded on the topic the ledger consumes,
// evaluates its request log (InsuranceScheduler.runOnce, as the timer would) and publishes each
// claim's CompensationIssued on that same topic, after the charge it compensates; the ledger
// credits it. Issue #17.
//
// sim/echo-1 costs $1 per million input tokens and $2 per million output tokens: 1 000 input and
// 500 output tokens cost exactly $0.002.

let ledger: LedgerTestApp;
let metering: MeteringTestApp;
let insurance: InsuranceScheduler;

beforeAll(async () => {
  ledger = await createLedgerTestApp();
  metering = await createMeteringTestApp({
    topics: {
      usageObserved: `usage.observed.v1.${ledger.topics.usageRecorded.split('.').pop() ?? ''}`,
      usageRecorded: ledger.topics.usageRecorded,
    },
    insurance: {
      evaluateEveryMs: 0,
      policy: {
        ...DEFAULT_INSURANCE_POLICY,
        slowFirstToken: {
          defaultThresholdMs: 30_000,
          thresholdsMs: new Map([['sim/echo-1', 2_000]]),
          refundBasisPoints: 1_000n,
        },
      },
    },
  });
  insurance = metering.app.get(InsuranceScheduler);
}, 120_000);

afterAll(async () => {
  await metering?.close();
  await ledger?.close();
}, 60_000);

const balance = (accountId: string) => ledger.balance(accountId);
const atVersion = (accountId: string, version: number) =>
  ledger.balanceAtVersion(accountId, version, 20_000);
const totalOf = (accountId: string, total: string) =>
  eventually(async () => ((await balance(accountId)).total === total ? true : undefined), 20_000);
const claims = (accountId: string) =>
  metering.http<ClaimPage>('GET', `/v1/accounts/${accountId}/claims`).then((r) => r.body);

/** The CompensationIssued metering wrote to its outbox for `accountId`, in outbox order. */
async function compensationsInOutbox(accountId: string): Promise<CompensationIssued[]> {
  const { rows } = await metering.db.query<{ value: string }>(
    `SELECT value FROM ${metering.schema}.outbox WHERE message_key = $1 ORDER BY id`,
    [accountId],
  );
  return rows.flatMap((r) => {
    const decoded = decodeEvent(r.value, { topic: 'usage.recorded.v1' });
    return decoded.ok && decoded.event.type === 'CompensationIssued' ? [decoded.event] : [];
  });
}

/** A request as the gateway observes it, started now (the evaluation looks back a week). */
const observed = (
  accountId: string,
  requestId: string,
  data: Parameters<typeof usageObserved>[1],
) => {
  const startedAt = new Date(Date.now() - 10_000);
  return usageObserved(accountId, {
    requestId,
    startedAt: startedAt.toISOString(),
    completedAt: new Date(startedAt.getTime() + 5_000).toISOString(),
    ...data,
  });
};

/** Tops the account up with $10 and has `usage` charged, then waits for the ledger to see both. */
async function chargedAccount(label: string, usage: Parameters<typeof usageObserved>[1][]) {
  const accountId = testAccount(label);
  await ledger.publish(ledger.topics.payments, [topUpSettled(accountId, `tu_${accountId}`, '10')]);
  await metering.observe(usage.map((u, i) => observed(accountId, `req_${accountId}_${i + 1}`, u)));
  await atVersion(accountId, 1 + usage.length);
  return accountId;
}

describe('AI insurance, from metering’s request log to the ledger', () => {
  it('given a failed-but-charged request, when evaluated, then CompensationIssued restores the balance exactly, once', async () => {
    const accountId = await chargedAccount('ins_failed', [{ status: 'failed' }]);
    expect(await balance(accountId)).toMatchObject({ total: '9.998', version: 2 });

    expect(await insurance.runOnce()).toMatchObject({ claimed: 1 });
    // The total is restored to the nano-dollar; the refund is a compensation lot (spent before
    // top-up credits), not a repair of the top-up lot the charge drew from.
    expect(await atVersion(accountId, 3)).toMatchObject({
      total: '10',
      topUp: '9.998',
      bonusAndCompensation: '0.002',
    });
    const [issued, ...more] = await compensationsInOutbox(accountId);
    expect(more).toEqual([]);
    expect(issued?.data).toMatchObject({
      amount: '0.002',
      rule: 'failed_charged',
      policyVersion: DEFAULT_INSURANCE_POLICY.version,
      requestIds: [`req_${accountId}_1`],
    });
    expect(issued?.data.claimId).toMatch(/^clm_[0-9a-f]{32}$/);

    // Replaying the evaluation over the same logs issues nothing new.
    await insurance.runOnce();
    await insurance.runOnce();
    expect(await compensationsInOutbox(accountId)).toHaveLength(1);
    const metrics = await fetch(`${metering.baseUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain(
      'metering_insurance_claims_total{rule="failed_charged",service="metering"} 1',
    );

    // The customer sees the claim with its request, and the history its compensation row.
    const page = await claims(accountId);
    expect(page.data).toEqual([
      expect.objectContaining({
        claimId: issued?.data.claimId,
        compensationId: issued?.data.compensationId,
        rule: 'failed_charged',
        amount: '0.002',
        requestIds: [`req_${accountId}_1`],
        requests: [
          expect.objectContaining({
            requestId: `req_${accountId}_1`,
            status: 'failed',
            cost: '0.002',
          }),
        ],
      }),
    ]);
    const breakdown = await ledger.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/${accountId}/credits-breakdown`,
    );
    expect(breakdown.body).toMatchObject({
      compensations: '0.002',
      usage: '0.002',
      totalBalance: '10',
    });
    const history = await ledger.http<{ data: { type: string; amount: string }[] }>(
      'GET',
      `/v1/accounts/${accountId}/transactions?limit=50`,
    );
    expect(history.body.data.filter((r) => r.type === 'compensation')).toEqual([
      expect.objectContaining({ amount: '0.002' }),
    ]);
  }, 90_000);

  it('given a crash between evaluation and commit, when evaluated again, then exactly one compensation is issued', async () => {
    const accountId = await chargedAccount('ins_crash', [{ status: 'failed' }]);
    const bus = metering.app.get(CommandBus);
    // The evaluation writes its claim and outbox row, and the process dies before the commit.
    const client = await metering.db.connect();
    try {
      await client.query('BEGIN');
      const lost = await bus.execute(new EvaluateInsuranceCommand(client));
      expect(lost.claimed).toBe(1);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await compensationsInOutbox(accountId)).toEqual([]);

    expect(await insurance.runOnce()).toMatchObject({ claimed: 1 });
    expect(await insurance.runOnce()).toMatchObject({ claimed: 0 });
    const issued = await compensationsInOutbox(accountId);
    expect(issued).toHaveLength(1);
    expect(await atVersion(accountId, 3)).toMatchObject({ total: '10' });

    // A crash after the publish but before the relay marked it sent: the broker gets the claim
    // again, even under a new envelope id; the ledger credits it once (its compensationId).
    const again = { ...issued[0], id: randomUUID() } as CompensationIssued;
    await ledger.publish(ledger.topics.usageRecorded, [again]);
    await ledger.publish(ledger.topics.payments, [
      topUpSettled(accountId, `tu2_${accountId}`, '1'),
    ]);
    expect(await atVersion(accountId, 4)).toMatchObject({ total: '11', version: 4 });
  }, 90_000);

  it('given first tokens exactly at and 1 ms over the SLA, a cancelled and a free failed request, when evaluated, then only the slow one earns 10%', async () => {
    const accountId = testAccount('ins_ttft');
    await ledger.publish(ledger.topics.payments, [
      topUpSettled(accountId, `tu_${accountId}`, '10'),
    ]);
    const startedAt = Date.now() - 10_000;
    const base = {
      startedAt: new Date(startedAt).toISOString(),
      completedAt: new Date(startedAt + 5_000).toISOString(),
    };
    await metering.observe([
      usageObserved(accountId, {
        ...base,
        requestId: `req_${accountId}_at`,
        firstTokenAt: new Date(startedAt + 2_000).toISOString(),
      }),
      usageObserved(accountId, {
        ...base,
        requestId: `req_${accountId}_over`,
        firstTokenAt: new Date(startedAt + 2_001).toISOString(),
      }),
      usageObserved(accountId, {
        ...base,
        requestId: `req_${accountId}_cancelled`,
        status: 'cancelled',
        firstTokenAt: new Date(startedAt + 9_000).toISOString(),
      }),
      usageObserved(accountId, {
        ...base,
        requestId: `req_${accountId}_free`,
        status: 'failed',
        inputTokens: 0,
        outputTokens: 0,
      }),
    ]);
    await totalOf(accountId, '9.994');

    expect(await insurance.runOnce()).toMatchObject({ claimed: 1 });
    await totalOf(accountId, '9.9942');
    const issued = await compensationsInOutbox(accountId);
    expect(issued.map((e) => e.data)).toEqual([
      expect.objectContaining({
        amount: '0.0002',
        rule: 'slow_first_token',
        requestIds: [`req_${accountId}_over`],
      }),
    ]);
    const page = await claims(accountId);
    expect(page.data[0]?.requests).toEqual([
      expect.objectContaining({ requestId: `req_${accountId}_over`, ttftMs: 2_001 }),
    ]);
  }, 90_000);

  it('given three claims, when listed two at a time, then every claim comes once, newest first; a forged cursor is 400', async () => {
    const accountId = await chargedAccount('ins_pages', [
      { status: 'failed' },
      { status: 'failed' },
      { status: 'failed' },
    ]);
    expect(await insurance.runOnce()).toMatchObject({ claimed: 3 });
    const url = `/v1/accounts/${accountId}/claims`;
    const first = await metering.http<ClaimPage>('GET', `${url}?limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await metering.http<ClaimPage>(
      'GET',
      `${url}?limit=2&cursor=${first.body.nextCursor ?? ''}`,
    );
    expect(second.body).toMatchObject({ nextCursor: null });
    const all = [...first.body.data, ...second.body.data];
    expect(all.flatMap((c) => c.requestIds).sort()).toEqual(
      [1, 2, 3].map((i) => `req_${accountId}_${i}`).sort(),
    );
    const issued = all.map((c) => Date.parse(c.issuedAt));
    expect(issued).toEqual([...issued].sort((a, b) => b - a));
    const forged = await metering.http('GET', `${url}?cursor=bm90LWEtY3Vyc29y`);
    expect(forged.status).toBe(400);
  }, 90_000);

  it('given the claims above, then projections:verify and audit:verify accept the ledger', async () => {
    const verified = await verifyProjections({ pool: ledger.db, schema: ledger.schema });
    expect(verified.differences).toEqual([]);
    expect(verified.ok).toBe(true);
    const audited = await verifyAuditChains({ pool: ledger.db, schema: ledger.schema });
    expect(audited).toMatchObject({ ok: true, breaks: [] });
  }, 60_000);

  it('given another account’s token, when it asks for the claims, then 403', async () => {
    const token = await metering.tokenFor('acct_someone_else');
    const res = await metering.http('GET', '/v1/accounts/acct_victim/claims', { token });
    expect(res.status).toBe(403);
  });
});
