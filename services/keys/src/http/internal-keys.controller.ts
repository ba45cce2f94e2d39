import { ServiceAccess } from '@billing/service-kit';
import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyStore } from '../infrastructure/api-key-store.js';
import { toSpendLimitsView, type SpendLimitsView } from '../queries/api-key-view.js';
import { keyNotFound } from './keys-errors.js';

/** What the gateway needs to admit a request with a key: who it belongs to, whether it works. */
export interface KeyLookupView {
  readonly apiKeyId: string;
  readonly accountId: string;
  readonly status: 'enabled' | 'disabled';
  /**
   * When the key stops working (ISO-8601 UTC); null, never. The gateway compares it with its own
   * clock on every request, so a key it remembers from this answer still stops at that instant.
   */
  readonly expiresAt: string | null;
  /** Its spend limits (decimal USD; null, none), which the gateway sends with each hold. */
  readonly spendLimits: SpendLimitsView;
  /** `builder` keys are limited at the gateway and place no hold on the balance. */
  readonly plan: 'payg' | 'builder';
  /**
   * For a builder key, whether its account's Builder subscription is active (the gateway refuses
   * it otherwise); always true for a pay-as-you-go key.
   */
  readonly subscriptionActive: boolean;
  /**
   * How many keys.v1 events were published for the key: the gateway prefers this answer to its
   * own copy of the key while that copy has applied fewer (it is behind the keys service).
   */
  readonly version: number;
}

const LOOKUP_HASH = /^[0-9a-f]{64}$/;

/**
 * Routes for the platform's own services, never for customers or operators (@ServiceAccess: the
 * admin token and account tokens answer 403).
 *
 * `GET /v1/internal/api-keys/by-lookup-hash/{lookupHash}`: the gateway's authoritative lookup of a
 * key its cache does not know yet (issue #10: a created key works on its first call). It takes the
 * HMAC lookup hash, never a key, and answers no name, prefix or usage: only what admission needs.
 */
@ApiTags('internal')
@ApiBearerAuth()
@ServiceAccess('gateway')
@Controller('v1/internal/api-keys')
export class InternalKeysController {
  constructor(@Inject(ApiKeyStore) private readonly store: ApiKeyStore) {}

  @Get('by-lookup-hash/:lookupHash')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A live key by its lookup hash (the gateway service credential only)' })
  async byLookupHash(@Param('lookupHash') lookupHash: string): Promise<KeyLookupView> {
    if (!LOOKUP_HASH.test(lookupHash)) throw keyNotFound();
    const found = await this.store.findForLookup(lookupHash);
    if (found === undefined) throw keyNotFound();
    const { row, subscriptionActive } = found;
    if (row.state.status === 'deleted') throw keyNotFound();
    return {
      apiKeyId: row.state.apiKeyId,
      accountId: row.state.accountId,
      status: row.state.status,
      expiresAt: row.state.expiresAt?.toISOString() ?? null,
      spendLimits: toSpendLimitsView(row.state.spendLimits),
      plan: row.state.plan,
      subscriptionActive,
      version: row.version,
    };
  }
}
