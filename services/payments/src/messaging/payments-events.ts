import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, type ContractEvent, type DataOf } from '@billing/contracts';
import { Outbox, type OutboxMessage } from '@billing/messaging';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';

type PaymentsEventType =
  | 'TopUpSettled'
  | 'DiscountApplied'
  | 'BonusGranted'
  | 'TopUpRefunded'
  | 'GiftGranted'
  | 'ReferralRewarded'
  | 'ReferralRewardRevoked'
  | 'CompensationIssued'
  | 'CreditsAdjusted'
  | 'BuilderSubscriptionChanged';

export interface EventContext {
  readonly causationId?: string | undefined;
  readonly correlationId?: string | undefined;
  /** Defaults to a fresh UUID; given when the id must be known beforehand (admin credits). */
  readonly id?: string;
}

/**
 * Builds `payments.v1` events (validated against the contract by `createEvent`: an invalid event is
 * a bug and never reaches the outbox) and writes them to the outbox in the caller's transaction.
 * The key is the account id, so an account's events stay in order.
 */
@Injectable()
export class PaymentsEvents {
  private readonly outbox: Outbox;

  constructor(@Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions) {
    this.outbox = new Outbox(options.schema);
  }

  message<T extends PaymentsEventType>(
    type: T,
    accountId: string,
    data: DataOf<T>,
    context: EventContext = {},
  ): OutboxMessage {
    const event: ContractEvent = createEvent({
      type,
      accountId,
      source: 'payments',
      id: context.id ?? randomUUID(),
      occurredAt: new Date(this.options.nowMs()),
      data,
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
      ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
    });
    return {
      topic: this.options.topics.payments,
      key: accountId,
      id: event.id,
      value: encodeEvent(event),
    };
  }

  async enqueue(client: pg.PoolClient, messages: readonly OutboxMessage[]): Promise<void> {
    await this.outbox.enqueue(client, messages);
  }
}
