import { Command } from '@nestjs/cqrs';
import type { AdminCreditRequest, Result } from '../../domain/index.js';

export interface AdminCreditView {
  readonly creditId: string;
  readonly accountId: string;
  readonly type: string;
  readonly amount: string;
  readonly reason: string;
  readonly reference: string;
  readonly expiresAt: string | null;
  readonly referredAccountId: string | null;
  readonly claimId: string | null;
  /** The id of the event published on `payments.v1`. */
  readonly eventId: string;
  readonly createdAt: string;
}

/** `created` false: the same reference and request were seen before; this is the first answer. */
export interface GrantedCredit {
  readonly created: boolean;
  readonly credit: AdminCreditView;
}

/** `POST /v1/admin/accounts/{accountId}/credits`. */
export class GrantAdminCreditCommand extends Command<Result<GrantedCredit>> {
  constructor(readonly request: AdminCreditRequest) {
    super();
  }
}
