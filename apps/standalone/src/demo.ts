import { mintAccountToken } from './console/account-token.js';
import type { DataDir, Secrets } from './data-dir.js';

export const DEMO_ACCOUNT = 'acct_demo';
/** The first start's top-up: $10 through the simulated provider, +20% bonus = $12. */
export const DEMO_TOP_UP_USD = '10';
const DEMO_KEY_NAME = 'demo';

interface DemoFile {
  readonly accountId: string;
  readonly apiKeyId: string;
  readonly createdAt: string;
}

export interface DemoAccess {
  readonly accountId: string;
  readonly apiKeyId: string;
  /** The full API key (revealed through the keys API on later starts). */
  readonly apiKey: string;
  /** An account token (JWT) for the console routes of the demo account, valid 30 days. */
  readonly accountToken: string;
  /** True on the start that created the account's credits and key. */
  readonly firstRun: boolean;
  readonly balance: { readonly total: string; readonly available: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
  ) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    token = this.adminToken,
  ): Promise<{ status: number; body: T }> {
    const answer = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await answer.text();
    return { status: answer.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, body);
    if (answer.status >= 300) {
      const code = (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
      throw new Error(
        `${method} ${path} answered ${answer.status}${code === undefined ? '' : ` ${code}`}`,
      );
    }
    return answer.body;
  }
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Where the demo's key id is kept between starts: the standalone app's data folder. */
export type DemoMemory = Pick<DataDir, 'demoFile' | 'readJson' | 'writeJson'>;

/**
 * The demo account, created on the first start through the public APIs, as a user would: a $10
 * top-up through the simulated payment provider (so the +20% bonus shows in the breakdown) and an
 * API key. Each step looks first, so a start interrupted half-way completes it next time without
 * a second top-up. Later starts reveal the same key (the reveal is an audit event in keys).
 *
 * `baseUrl` is one origin for the five services: the standalone app itself, or in
 * docker-compose.yml the console server (demo.main.ts). Without `memory` the key is found again
 * by its name alone.
 *
 * Resolves once the gateway accepts the key: the banner's commands work when they are printed.
 */
export async function ensureDemo(
  baseUrl: string,
  secrets: Pick<Secrets, 'ADMIN_TOKEN' | 'CONSOLE_JWT_SECRET'>,
  memory?: DemoMemory,
): Promise<DemoAccess> {
  const api = new Api(baseUrl, secrets.ADMIN_TOKEN);
  const account = `/v1/accounts/${DEMO_ACCOUNT}`;
  const known = memory?.readJson<DemoFile>(memory.demoFile);

  const topUps = await api.ok<{ data: unknown[] }>('GET', `${account}/top-ups`);
  const toppedUpNow = topUps.data.length === 0;
  if (toppedUpNow) {
    await api.ok('POST', `${account}/top-ups`, { amount: DEMO_TOP_UP_USD });
  }

  let apiKeyId: string | undefined;
  let apiKey: string | undefined;
  const candidates = [
    ...(known === undefined ? [] : [known.apiKeyId]),
    ...(
      await api.ok<{ data: { id: string; name: string; status: string }[] }>(
        'GET',
        `${account}/api-keys`,
      )
    ).data
      .filter((k) => k.name === DEMO_KEY_NAME && k.status === 'enabled')
      .map((k) => k.id),
  ];
  for (const id of candidates) {
    const revealed = await api.call<{ key: string }>('POST', `${account}/api-keys/${id}/reveal`);
    if (revealed.status === 200) {
      apiKeyId = id;
      apiKey = revealed.body.key;
      break;
    }
  }
  if (apiKeyId === undefined || apiKey === undefined) {
    const created = await api.ok<{ id: string; key: string }>('POST', `${account}/api-keys`, {
      name: DEMO_KEY_NAME,
    });
    apiKeyId = created.id;
    apiKey = created.key;
  }
  if (memory !== undefined && known?.apiKeyId !== apiKeyId) {
    memory.writeJson(memory.demoFile, {
      accountId: DEMO_ACCOUNT,
      apiKeyId,
      createdAt: new Date().toISOString(),
    } satisfies DemoFile);
  }

  // The credits reach the ledger through payments.v1, the key reaches the gateway through keys.v1.
  await until('the demo top-up and its bonus in the ledger', 30_000, async () => {
    const b = await api.ok<{ topUps: string; bonuses: string }>(
      'GET',
      `${account}/credits-breakdown`,
    );
    return b.topUps !== '0' && b.bonuses !== '0' ? b : undefined;
  });
  const key = apiKey;
  await until('the gateway to accept the demo key', 30_000, async () => {
    const answer = await api.call('GET', '/api/v1/models', undefined, key);
    return answer.status === 200 ? true : undefined;
  });
  const balance = await api.ok<{ total: string; available: string }>('GET', `${account}/balance`);

  // Account tokens live at most CONSOLE_JWT_MAX_LIFETIME_SECONDS (24 hours by default); the demo
  // mints a fresh one at every start.
  const { token: accountToken } = await mintAccountToken(
    secrets.CONSOLE_JWT_SECRET,
    DEMO_ACCOUNT,
    24 * 3600,
  );

  return {
    accountId: DEMO_ACCOUNT,
    apiKeyId,
    apiKey,
    accountToken,
    firstRun: memory === undefined ? toppedUpNow : known === undefined,
    balance,
  };
}
