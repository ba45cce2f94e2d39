import { Logger } from '@nestjs/common';
import { spendLimitsOfLookup, type CachedKey } from '../domain/index.js';
import type { Agents } from './http-json.js';
import { ServiceClient } from './service-client.js';

/** The keys service could not say whether a key exists (unreachable, 5xx, timeout, refused us). */
export class KeyLookupUnavailable extends Error {
  constructor(reason: string) {
    super(`the keys service could not be asked: ${reason}`);
    this.name = 'KeyLookupUnavailable';
  }
}

/** The keys service answers in milliseconds; a caller should not wait for a stuck one. */
const KEYS_TIMEOUT_MS = 3_000;

const LOOKUP_HASH = /^[0-9a-f]{64}$/;

function isLookupBody(body: unknown): body is LookupBody {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.apiKeyId === 'string' &&
    typeof b.accountId === 'string' &&
    (b.status === 'enabled' || b.status === 'disabled') &&
    // Absent from a keys service older than key expiry: the key never expires.
    (b.expiresAt === undefined || b.expiresAt === null || isIsoTime(b.expiresAt)) &&
    // Absent from a keys service older than the Builder plan: every key was pay-as-you-go.
    (b.plan === undefined || b.plan === 'payg' || b.plan === 'builder') &&
    // Absent from a keys service older than key versions: 0, which never beats the key cache.
    (b.version === undefined || (Number.isSafeInteger(b.version) && (b.version as number) >= 0)) &&
    // Absent from a keys service older than billed Builder subscriptions: active.
    (b.subscriptionActive === undefined || typeof b.subscriptionActive === 'boolean')
  );
}

const isIsoTime = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));

type LookupBody = Omit<
  CachedKey,
  'expiresAtMs' | 'spendLimits' | 'plan' | 'version' | 'subscriptionActive'
> & {
  readonly expiresAt?: string | null;
  readonly spendLimits?: unknown;
  readonly plan?: CachedKey['plan'];
  readonly version?: number;
  readonly subscriptionActive?: boolean;
};

/**
 * The keys service's authoritative lookup (issue #10, item 7):
 * `GET /v1/internal/api-keys/by-lookup-hash/{lookupHash}` with the gateway's service credential
 * → 200 `{apiKeyId, accountId, status, expiresAt, spendLimits, plan, version}`, or 404 when no
 * live key has that hash.
 */
export class KeysClient {
  private readonly logger = new Logger('KeysClient');
  private readonly keys: ServiceClient;

  constructor(baseUrl: string, serviceToken: string, agents: Agents) {
    this.keys = new ServiceClient(baseUrl, serviceToken, agents, KEYS_TIMEOUT_MS);
  }

  /** @throws KeyLookupUnavailable when the keys service gives no answer to trust. */
  async byLookupHash(lookupHash: string): Promise<CachedKey | undefined> {
    if (!LOOKUP_HASH.test(lookupHash)) return undefined;
    let answer;
    try {
      answer = await this.keys.call('GET', `/v1/internal/api-keys/by-lookup-hash/${lookupHash}`);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const reason = typeof code === 'string' ? code : (err as Error).name;
      this.logger.warn(`key lookup failed: ${reason}`);
      throw new KeyLookupUnavailable(reason);
    }
    if (answer.status === 404) return undefined;
    // Absent from a keys service older than spend limits: the key has none.
    const spendLimits =
      answer.status === 200 && isLookupBody(answer.body)
        ? spendLimitsOfLookup(answer.body.spendLimits)
        : undefined;
    if (answer.status === 200 && isLookupBody(answer.body) && spendLimits !== undefined) {
      const { expiresAt } = answer.body;
      return {
        apiKeyId: answer.body.apiKeyId,
        accountId: answer.body.accountId,
        status: answer.body.status,
        expiresAtMs: expiresAt === undefined || expiresAt === null ? null : Date.parse(expiresAt),
        spendLimits,
        plan: answer.body.plan ?? 'payg',
        subscriptionActive: answer.body.subscriptionActive ?? true,
        version: answer.body.version ?? 0,
      };
    }
    // A 401/403 here means the gateway's SERVICE_TOKEN is not in the keys service's SERVICE_TOKENS.
    this.logger.error(`key lookup answered ${answer.status}`);
    throw new KeyLookupUnavailable(`answered ${answer.status}`);
  }
}
