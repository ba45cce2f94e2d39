import type { EventStore } from '@billing/event-store';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { streamIdOf } from '../../infrastructure/ids.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';
import {
  VerifyAccountChainQuery,
  type ChainVerificationView,
} from './verify-account-chain.query.js';

@QueryHandler(VerifyAccountChainQuery)
export class VerifyAccountChainHandler implements IQueryHandler<VerifyAccountChainQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ accountId }: VerifyAccountChainQuery): Promise<ChainVerificationView> {
    const result = await this.store.verifyStream(streamIdOf(accountId));
    return {
      accountId,
      ok: result.ok,
      events: result.events,
      headHash: result.headHash,
      ...(result.firstBreak !== undefined && { firstBreak: result.firstBreak }),
    };
  }
}
