import { Command } from '@nestjs/cqrs';
import type { ApiKeyPlan } from '@billing/contracts';
import type { Result } from '../../domain/index.js';

/** What creation answers: the only time the full key leaves the service (besides reveal). */
export interface CreatedApiKey {
  readonly id: string;
  readonly name: string;
  /** The full secret. The caller shows it once and must never log it. */
  readonly key: string;
  readonly prefix: string;
  readonly status: 'enabled';
  /** When the key stops working; null, never. */
  readonly expiresAt: string | null;
  readonly plan: ApiKeyPlan;
  readonly createdAt: string;
}

export type CreateApiKeyResult = Result<CreatedApiKey>;

/**
 * `POST /v1/accounts/{accountId}/api-keys {name, expiresAt?, plan?}`: a new key, enabled, of the
 * plan asked for (`payg` by default; `builder` only with a Builder subscription), that stops
 * working at `expiresAt` when one is given (ISO-8601 UTC, in the future).
 */
export class CreateApiKeyCommand extends Command<CreateApiKeyResult> {
  constructor(
    readonly accountId: string,
    readonly name: string,
    readonly expiresAt: string | null = null,
    readonly plan: ApiKeyPlan = 'payg',
  ) {
    super();
  }
}
