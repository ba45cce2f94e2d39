import { withTransaction } from '@billing/service-kit';
import { randomUUID } from 'node:crypto';
import { parseIsoUtc } from '@billing/contracts';
import type { OutboxMessage } from '@billing/messaging';
import { formatUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  adminCreditFingerprint,
  fail,
  grantExpiry,
  ok,
  validateAdminCredit,
  type AdminCredit,
  type Result,
} from '../../domain/index.js';
import type { AdminCreditRow } from '../../infrastructure/admin-credit-repository.js';
import { PaymentsEvents } from '../../messaging/payments-events.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  GrantAdminCreditCommand,
  type AdminCreditView,
  type GrantedCredit,
} from './grant-admin-credit.command.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function view(row: AdminCreditRow): AdminCreditView {
  return {
    creditId: row.creditId,
    accountId: row.accountId,
    type: row.type,
    amount: formatUsd(row.amountNanos),
    reason: row.reason,
    reference: row.reference,
    expiresAt: iso(row.expiresAtMs),
    referredAccountId: row.referredAccountId,
    claimId: row.claimId,
    eventId: row.eventId,
    createdAt: new Date(row.createdAtMs).toISOString(),
  };
}

/**
 * The credit row (keyed by `reference`) and its event are written in one transaction. A replay
 * with the same request finds the row and answers it again, emitting nothing; a different request
 * under the same reference is a conflict. Two identical requests racing: the second insert does
 * nothing and reads the first.
 */
@CommandHandler(GrantAdminCreditCommand)
export class GrantAdminCreditHandler implements ICommandHandler<GrantAdminCreditCommand> {
  constructor(
    private readonly store: PaymentsStore,
    private readonly events: PaymentsEvents,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ request }: GrantAdminCreditCommand): Promise<Result<GrantedCredit>> {
    let expiresAtMs: number | null = null;
    if (request.expiresAt !== undefined) {
      const nanos = parseIsoUtc(request.expiresAt);
      if (nanos === undefined) {
        return fail(
          'PAYMENTS.INVALID_REQUEST',
          'expiresAt must be an ISO-8601 UTC time ending in Z',
        );
      }
      expiresAtMs = Number(nanos / 1_000_000n);
    }
    const nowMs = this.options.nowMs();
    const validated = validateAdminCredit(request, expiresAtMs, nowMs);
    if (!validated.ok) return validated;
    // The fingerprint is of the request as the operator wrote it: a retry an hour later must not
    // become a conflict because the default expiry, counted from now, moved.
    const fingerprint = adminCreditFingerprint(validated.value);
    const credit: AdminCredit = {
      ...validated.value,
      expiresAtMs: grantExpiry(
        validated.value.type,
        validated.value.expiresAtMs,
        this.options.creditLifetimes,
        nowMs,
      ),
    };
    const row: AdminCreditRow = {
      ...credit,
      creditId: `${credit.type}_${randomUUID().replaceAll('-', '')}`,
      eventId: randomUUID(),
      fingerprint,
      createdAtMs: nowMs,
    };
    return withTransaction<Result<GrantedCredit>>(this.store.pool, async (client, rollback) => {
      const inserted = await this.store.adminCredits.insertOnce(client, row);
      if (!inserted) {
        const existing = await this.store.adminCredits.get(client, credit.reference);
        if (existing === undefined) throw new Error(`admin credit ${credit.reference} vanished`);
        return rollback(
          existing.fingerprint === fingerprint
            ? ok({ created: false, credit: view(existing) })
            : fail(
                'PAYMENTS.REFERENCE_CONFLICT',
                `reference ${credit.reference} was already used for a different credit`,
              ),
        );
      }
      await this.events.enqueue(client, [this.message(credit, row)]);
      return ok({ created: true, credit: view(row) });
    });
  }

  private message(credit: AdminCredit, row: AdminCreditRow): OutboxMessage {
    const amount = formatUsd(credit.amountNanos);
    const expiresAt = iso(credit.expiresAtMs) ?? undefined;
    const context = { id: row.eventId, correlationId: credit.reference };
    const expiry = expiresAt === undefined ? {} : { expiresAt };
    switch (credit.type) {
      case 'gift':
        return this.events.message(
          'GiftGranted',
          credit.accountId,
          { giftId: row.creditId, amount, reason: credit.reason, ...expiry },
          context,
        );
      case 'referral':
        return this.events.message(
          'ReferralRewarded',
          credit.accountId,
          {
            referralId: row.creditId,
            amount,
            reason: credit.reason,
            ...expiry,
            ...(credit.referredAccountId === null
              ? {}
              : { referredAccountId: credit.referredAccountId }),
          },
          context,
        );
      case 'compensation':
        return this.events.message(
          'CompensationIssued',
          credit.accountId,
          {
            compensationId: row.creditId,
            amount,
            reason: credit.reason,
            ...expiry,
            ...(credit.claimId === null ? {} : { claimId: credit.claimId }),
          },
          context,
        );
      case 'adjustment':
        return this.events.message(
          'CreditsAdjusted',
          credit.accountId,
          { adjustmentId: row.creditId, amount, reason: credit.reason },
          context,
        );
    }
  }
}
