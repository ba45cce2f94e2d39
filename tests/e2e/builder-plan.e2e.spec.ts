import { randomBytes } from 'node:crypto';
import { eventually } from '@billing/testing';
import {
  startDistributedPlatform,
  type DistributedPlatform,
  type ExtraInstance,
} from './distributed.js';

// Issue #17, the Builder plan, with the five services as separate processes and two gateway
// instances sharing the gateway's database: a Builder key is throttled at its requests-per-minute
// limit across both instances (429, Retry-After, the OpenAI error shape) while a pay-as-you-go key
// under the same load is not, a model outside the plan is refused with 403, and the builder
// requests reach metering, the ledger and the key's usage without moving the balance by a
// nano-dollar.

const RPM = 5;

describe('Builder plan keys (five services as separate processes, two gateways)', () => {
  let platform: DistributedPlatform | undefined;
  let second: ExtraInstance | undefined;
  const accountId = `acct_e2e_builder_${randomBytes(4).toString('hex')}`;
  let token = '';

  const p = (): DistributedPlatform => {
    if (!platform) throw new Error('the distributed platform did not start (see beforeAll)');
    return platform;
  };

  const keys = async (body: unknown) => {
    const res = await fetch(`${p().urls.keys}/v1/accounts/${accountId}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const get = async (url: string): Promise<Record<string, unknown>> => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  const balance = () => get(`${p().urls.ledger}/v1/accounts/${accountId}/balance`);

  interface Answer {
    readonly status: number;
    readonly retryAfter: string | null;
    readonly requestId: string | null;
    readonly error?: { message: string; type: string; param: string | null; code: string };
  }

  const call = async (gateway: string, key: string, model = 'sim/echo-mini'): Promise<Answer> => {
    const res = await fetch(`${gateway}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    const body = (await res.json()) as { error?: Answer['error'] };
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      requestId: res.headers.get('x-request-id'),
      ...(body.error !== undefined && { error: body.error }),
    };
  };

  /** `n` requests at once, alternating between the two gateway instances. */
  const burst = (key: string, n: number): Promise<Answer[]> => {
    const gateways = [p().urls.gateway, second?.url ?? p().urls.gateway];
    return Promise.all(Array.from({ length: n }, (_, i) => call(gateways[i % 2] as string, key)));
  };

  /** Waits until at least 20 s remain in the current UTC minute (a burst must not straddle one). */
  const awayFromMinuteEnd = async (): Promise<void> => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
  };

  beforeAll(async () => {
    platform = await startDistributedPlatform({
      // Seven processes compiled on start on a shared 2-core machine.
      startTimeoutMs: 240_000,
      env: {
        BUILDER_RPM: String(RPM),
        BUILDER_WEEKLY_REQUESTS: '1000',
        BUILDER_MODELS: 'sim/echo-mini',
      },
    });
    second = await platform.startInstance('gateway');
    token = await platform.accountToken(accountId);
    await platform.settleTopUp(accountId, '20');
    await eventually(async () => {
      const b = await balance();
      return Number(b.available) > 0 ? true : undefined;
      // A fresh ledger may first replay its fixed consumer groups' topics (distributed.ts).
    }, 180_000);
  }, 540_000);

  afterAll(async () => {
    await second?.kill().catch(() => undefined);
    await platform?.stop({ keepLogs: false });
  }, 60_000);

  it('refuses a builder key without a subscription, and creates one once an operator marks the account subscribed', async () => {
    const refused = await keys({ name: 'hobby', plan: 'builder' });
    expect(refused.status).toBe(403);
    expect((refused.body.error as { code: string }).code).toBe(
      'KEYS.BUILDER_SUBSCRIPTION_REQUIRED',
    );

    const res = await fetch(
      `${p().urls.keys}/v1/admin/accounts/${accountId}/builder-subscription`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${p().adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ active: true, reference: 'e2e-order-1' }),
      },
    );
    expect(res.status).toBe(200);
    const created = await keys({ name: 'hobby', plan: 'builder' });
    expect(created.status).toBe(201);
    expect(created.body.plan).toBe('builder');
  });

  it('throttles a builder key at its limit across both gateways, while a pay-as-you-go key under the same load is not, and the builder usage leaves the balance unchanged exactly', async () => {
    const builder = await keys({ name: 'builder-load', plan: 'builder' });
    const payg = await keys({ name: 'payg-load' });
    expect([builder.status, payg.status]).toEqual([201, 201]);
    const builderKey = builder.body.key as string;
    const paygKey = payg.body.key as string;
    // Nothing held, nothing in flight: the balance the builder requests must leave as it is.
    const before = await eventually(async () => {
      const b = await balance();
      return b.held === '0' ? b : undefined;
    }, 60_000);
    await awayFromMinuteEnd();
    const answers = await burst(builderKey, RPM * 3);
    const admitted = answers.filter((a) => a.status === 200);
    const throttled = answers.filter((a) => a.status === 429);
    expect([admitted.length, throttled.length]).toEqual([RPM, RPM * 2]);
    for (const a of throttled) {
      expect(a.error).toMatchObject({ type: 'requests', param: null, code: 'rate_limit_exceeded' });
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);
    }
    // A model outside the plan: 403 in the OpenAI shape, whatever the minute's count.
    const outside = await call(p().urls.gateway, builderKey, 'sim/echo-1');
    expect([outside.status, outside.error?.code]).toEqual([403, 'model_not_in_plan']);

    // Every admitted builder request is recorded and charged by the ledger at 0.
    for (const a of admitted) {
      const explained = await eventually(async () => {
        const res = await fetch(
          `${p().urls.ledger}/v1/accounts/${accountId}/requests/${a.requestId}`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
      }, 60_000);
      expect(explained.cost).toBe('0');
    }
    const after = await balance();
    expect([after.total, after.available]).toEqual([before.total, before.available]);
    const builderView = await get(
      `${p().urls.keys}/v1/accounts/${accountId}/api-keys/${builder.body.id as string}`,
    );
    expect(builderView.used).toBe('0');
    await eventually(async () => {
      const view = await get(
        `${p().urls.keys}/v1/accounts/${accountId}/api-keys/${builder.body.id as string}`,
      );
      return view.lastUsedAt !== null ? true : undefined;
    }, 30_000);

    // The same load on the pay-as-you-go key: never throttled, and billed to the balance.
    const paygAnswers = await burst(paygKey, RPM * 3);
    expect(paygAnswers.map((a) => a.status)).toEqual(paygAnswers.map(() => 200));
    await eventually(async () => {
      const b = await balance();
      return b.total !== before.total ? true : undefined;
    }, 60_000);
  });
});
