import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

/** What creation answers: the only time the full key leaves the service (besides reveal). */
export interface CreatedApiKey {
  readonly id: string;
  readonly name: string;
  /** The full secret. The caller shows it once and must never log it. */
  readonly key: string;
  readonly prefix: string;
  readonly status: 'enabled';
  readonly createdAt: string;
}

export type CreateApiKeyResult = Result<CreatedApiKey>;

/** `POST /v1/accounts/{accountId}/api-keys {name}`: a new pay-as-you-go key, enabled. */
export class CreateApiKeyCommand extends Command<CreateApiKeyResult> {
  constructor(
    readonly accountId: string,
    readonly name: string,
  ) {
    super();
  }
}
