import {
  createMeteringTestApp,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from '../../testing/metering-test-app.js';
import type { RequestLogPage, RequestLogView } from './list-requests.query.js';

// The console's request log: newest first by start time, paged with an opaque cursor that never
// skips or repeats a row (even rows that started in the same microsecond), filterable by key,
// and readable only by the account itself (or an operator).

let t: MeteringTestApp;
let accountId: string;
let token: string;

/** Requests started at these offsets (ms) after a base time; two share an instant. */
const OFFSETS = [0, 1_000, 2_000, 2_000, 3_000, 4_000, 5_000];

beforeAll(async () => {
  t = await createMeteringTestApp();
  accountId = testAccount();
  token = await t.tokenFor(accountId);
  const base = Date.parse('2026-08-01T10:00:00.000Z');
  const events = OFFSETS.map((offset, i) => ({
    accountId,
    ...usageObserved(accountId, {
      requestId: `req_${i}`,
      apiKeyId: i % 2 === 0 ? 'key_even' : 'key_odd',
      startedAt: new Date(base + offset).toISOString(),
      completedAt: new Date(base + offset + 250 + i).toISOString(),
      model: 'sim/echo-1',
      inputTokens: 1_000,
      outputTokens: 100 * i,
      cachedInputTokens: 10,
    }).data,
  }));
  // A neighbour's requests must never show up.
  const other = testAccount();
  events.push({ accountId: other, ...usageObserved(other, { requestId: 'req_other' }).data });
  const res = await t.http('POST', '/v1/usage', { body: { events } });
  if (res.status !== 202) throw new Error(`seeding failed: ${res.status}`);
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

async function allPages(query: string): Promise<RequestLogView[][]> {
  const pages: RequestLogView[][] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor === null ? '' : `&cursor=${cursor}`;
    const res = await t.http<RequestLogPage>(
      'GET',
      `/v1/accounts/${accountId}/requests?${query}${suffix}`,
      { token },
    );
    expect(res.status).toBe(200);
    pages.push([...res.body.data]);
    cursor = res.body.nextCursor;
  } while (cursor !== null && pages.length < 20);
  return pages;
}

describe('GET /v1/accounts/{accountId}/requests', () => {
  it('pages newest first, without skipping or repeating rows that share a start time', async () => {
    const pages = await allPages('limit=2');
    expect(pages.map((p) => p.map((r) => r.requestId))).toEqual([
      ['req_6', 'req_5'],
      ['req_4', 'req_3'],
      ['req_2', 'req_1'],
      ['req_0'],
    ]);
  });

  it('shows what was logged for each request: tokens, cost, price version, latency', async () => {
    const [page] = await allPages('limit=1');
    expect(page?.[0]).toEqual({
      requestId: 'req_6',
      apiKeyId: 'key_even',
      model: 'sim/echo-1',
      status: 'succeeded',
      inputTokens: 1_000,
      outputTokens: 600,
      cachedInputTokens: 10,
      cacheWriteTokens: null,
      reasoningTokens: null,
      estimated: false,
      // 990 × $1 + 10 × $0.1 + 600 × $2 per million.
      cost: '0.002191',
      priceVersion: 'sim/echo-1@2025-01-01T00:00:00.000Z',
      startedAt: '2026-08-01T10:00:05.000Z',
      completedAt: '2026-08-01T10:00:05.256Z',
      latencyMs: 256,
      recordedAt: expect.any(String) as string,
    });
  });

  it('filters by API key', async () => {
    const pages = await allPages('apiKeyId=key_odd&limit=50');
    expect(pages.flat().map((r) => r.requestId)).toEqual(['req_5', 'req_3', 'req_1']);
  });

  it("refuses another account's token with 403 and a malformed cursor or limit with 400", async () => {
    const other = await t.http('GET', `/v1/accounts/${accountId}/requests`, {
      token: await t.tokenFor(testAccount()),
    });
    expect(other.status).toBe(403);
    const cursor = await t.http(
      'GET',
      `/v1/accounts/${accountId}/requests?cursor=bm90LWEtY3Vyc29y`,
      {
        token,
      },
    );
    expect(cursor.status).toBe(400);
    const limit = await t.http('GET', `/v1/accounts/${accountId}/requests?limit=0`, { token });
    expect(limit.status).toBe(400);
  });

  it('answers an empty page for an account without requests', async () => {
    const empty = testAccount();
    const res = await t.http<RequestLogPage>('GET', `/v1/accounts/${empty}/requests`, {
      token: await t.tokenFor(empty),
    });
    expect(res.body).toEqual({ data: [], nextCursor: null });
  });
});
