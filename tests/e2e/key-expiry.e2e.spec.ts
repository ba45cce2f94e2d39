import { randomBytes } from 'node:crypto';
import { eventually } from '@billing/testing';
import { startDistributedPlatform, type DistributedPlatform } from './distributed.js';
import { fundAccount } from './platform.js';

// Issue #17, key expiry, with the five services as separate processes and their real clocks: a key
// created with an expiry a few seconds ahead works until then and is refused with 401 key_expired
// from then on, although no event reaches the gateway at that instant; a PATCH that moves the
// expiry later makes it work again, and a PATCH to a past expiry is refused.

describe('an API key with an expiry (five services as separate processes)', () => {
  let platform: DistributedPlatform | undefined;
  const accountId = `acct_e2e_expiry_${randomBytes(4).toString('hex')}`;
  let token = '';

  const p = (): DistributedPlatform => {
    if (!platform) throw new Error('the distributed platform did not start (see beforeAll)');
    return platform;
  };

  const keys = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${p().urls.keys}/v1/accounts/${accountId}/api-keys${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const call = async (key: string): Promise<{ status: number; code: string | null }> => {
    const res = await fetch(`${p().urls.gateway}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim/echo-mini',
        messages: [{ role: 'user', content: 'before or after?' }],
        max_tokens: 4,
      }),
    });
    const body = (await res.json()) as { error?: { code: string | null } };
    return { status: res.status, code: body.error?.code ?? null };
  };

  beforeAll(async () => {
    platform = await startDistributedPlatform();
    token = await platform.accountToken(accountId);
    await fundAccount(platform, accountId, '20');
  }, 240_000);

  afterAll(async () => {
    await platform?.stop({ keepLogs: false });
  }, 60_000);

  it('works until its expiry, is refused with 401 key_expired from it on, and works again once PATCH moves it later', async () => {
    const expiresAt = new Date(Date.now() + 6_000);
    const created = await keys('POST', '', { name: 'short-lived', expiresAt });
    expect(created.status).toBe(201);
    expect(created.body.expiresAt).toBe(expiresAt.toISOString());
    const key = created.body.key as string;
    const id = created.body.id as string;

    expect(await call(key)).toEqual({ status: 200, code: null });
    // Let keys.v1 reach the gateway's cache: the refusal below must come from the cached key.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await call(key)).status).toBe(200);

    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now())));
    expect(await call(key)).toEqual({ status: 401, code: 'key_expired' });

    const past = await keys('PATCH', `/${id}`, { expiresAt: new Date(Date.now() - 1_000) });
    expect([past.status, (past.body.error as { code: string }).code]).toEqual([
      400,
      'KEYS.INVALID_EXPIRY',
    ]);
    const later = await keys('PATCH', `/${id}`, { expiresAt: new Date(Date.now() + 3_600_000) });
    expect(later.status).toBe(200);
    const started = Date.now();
    await eventually(async () => ((await call(key)).status === 200 ? true : undefined), 5_000, 20);
    expect(Date.now() - started).toBeLessThan(1_000);
  }, 60_000);
});
