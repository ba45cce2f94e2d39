import { createEvent, type DataOf } from '@billing/contracts';
import { decide, initialLedgerState } from '../../domain/index.js';
import { commandOf, type LedgerInput } from './inputs.js';

const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const ID = '3f0c2a8e-8d7b-4c1e-9a55-0d7f3c1b2a10';

function input<T extends LedgerInput['type']>(type: T, data: DataOf<T>): LedgerInput {
  return createEvent({
    type,
    id: ID,
    accountId: 'acct_1',
    source: type === 'UsageRecorded' ? 'metering' : 'payments',
    occurredAt: '2026-11-27T09:59:00.000Z',
    data,
  });
}

describe('commandOf: contract events to ledger commands', () => {
  it('maps TopUpSettled to CreditTopUp with the amount in nano-dollars', () => {
    const command = commandOf(
      input('TopUpSettled', {
        topUpId: 'tu_1',
        amount: '100',
        method: 'card',
        trigger: 'auto',
        paymentReference: 'pi_1',
        invoiceId: 'inv_1',
      }),
      NOW,
    );
    expect(command).toEqual({
      type: 'CreditTopUp',
      data: {
        topUpId: 'tu_1',
        amountNanos: 100_000_000_000n,
        method: 'card',
        trigger: 'auto',
        paymentReference: 'pi_1',
        invoiceId: 'inv_1',
        nowMs: NOW,
      },
    });
  });

  it('maps BonusGranted with its top-up link and expiry, and leaves absent fields out', () => {
    expect(
      commandOf(
        input('BonusGranted', {
          grantId: 'g_1',
          amount: '20',
          reason: 'top_up_bonus',
          topUpId: 'tu_1',
          expiresAt: '2027-01-01T00:00:00.123456789Z',
        }),
        NOW,
      ),
    ).toEqual({
      type: 'CreditBonus',
      data: {
        grantId: 'g_1',
        amountNanos: 20_000_000_000n,
        reason: 'top_up_bonus',
        topUpId: 'tu_1',
        // Nanoseconds are truncated to the millisecond, never rounded up into a later expiry.
        expiresAtMs: Date.parse('2027-01-01T00:00:00.123Z'),
        nowMs: NOW,
      },
    });
    const minimal = commandOf(
      input('BonusGranted', { grantId: 'g_2', amount: '1', reason: 'promo' }),
      NOW,
    );
    expect(minimal.data).not.toHaveProperty('topUpId');
    expect(minimal.data).not.toHaveProperty('expiresAtMs');
  });

  it('maps the other credits to their own commands', () => {
    expect(
      commandOf(
        input('CompensationIssued', {
          compensationId: 'c_1',
          amount: '5',
          reason: 'outage',
          claimId: 'cl_1',
        }),
        NOW,
      ),
    ).toEqual({
      type: 'CreditCompensation',
      data: {
        compensationId: 'c_1',
        amountNanos: 5_000_000_000n,
        reason: 'outage',
        claimId: 'cl_1',
        nowMs: NOW,
      },
    });
    expect(
      commandOf(input('GiftGranted', { giftId: 'gf_1', amount: '2', reason: 'hi' }), NOW),
    ).toEqual({
      type: 'CreditGift',
      data: { giftId: 'gf_1', amountNanos: 2_000_000_000n, reason: 'hi', nowMs: NOW },
    });
    expect(
      commandOf(
        input('ReferralRewarded', {
          referralId: 'r_1',
          amount: '3',
          reason: 'friend',
          referredAccountId: 'acct_2',
        }),
        NOW,
      ),
    ).toEqual({
      type: 'CreditReferral',
      data: {
        referralId: 'r_1',
        amountNanos: 3_000_000_000n,
        reason: 'friend',
        referredAccountId: 'acct_2',
        nowMs: NOW,
      },
    });
  });

  it('keeps the sign of CreditsAdjusted', () => {
    expect(
      commandOf(
        input('CreditsAdjusted', { adjustmentId: 'a_1', amount: '-2.5', reason: 'fix' }),
        NOW,
      ),
    ).toEqual({
      type: 'PostAdjustment',
      data: { adjustmentId: 'a_1', amountNanos: -2_500_000_000n, reason: 'fix', nowMs: NOW },
    });
  });

  it('maps TopUpRefunded to ApplyTopUpRefund keyed by the refund reference', () => {
    expect(
      commandOf(
        input('TopUpRefunded', { topUpId: 'tu_1', amount: '50', refundReference: 're_1' }),
        NOW,
      ),
    ).toEqual({
      type: 'ApplyTopUpRefund',
      data: { topUpId: 'tu_1', amountNanos: 50_000_000_000n, refundReference: 're_1', nowMs: NOW },
    });
  });

  it('maps UsageRecorded to ChargeUsage, dated by its completion and keyed by its request id', () => {
    const command = commandOf(
      input('UsageRecorded', {
        requestId: 'req_1',
        apiKeyId: 'key_1',
        model: 'sim/echo-1',
        inputTokens: 10,
        outputTokens: 20,
        cachedInputTokens: 5,
        reasoningTokens: 2,
        status: 'succeeded',
        holdId: 'h_1',
        startedAt: '2026-11-26T23:59:59.000Z',
        completedAt: '2026-11-27T00:00:01.500Z',
        cost: '0.000153',
        priceVersion: 'v3',
      }),
      NOW,
    );
    expect(command).toEqual({
      type: 'ChargeUsage',
      data: {
        requestId: 'req_1',
        apiKeyId: 'key_1',
        model: 'sim/echo-1',
        costNanos: 153_000n,
        priceVersion: 'v3',
        inputTokens: 10,
        outputTokens: 20,
        cachedInputTokens: 5,
        reasoningTokens: 2,
        occurredAtMs: Date.parse('2026-11-27T00:00:01.500Z'),
        holdId: 'h_1',
        nowMs: NOW,
      },
    });
    expect(command.data).not.toHaveProperty('cacheWriteTokens');
    // Usage metering recorded before it sent unit prices has none, and the command none either.
    expect(command.data).not.toHaveProperty('pricesPerMillionTokens');
  });

  it('carries the unit prices of UsageRecorded in nano-dollars per million tokens', () => {
    const command = commandOf(
      input('UsageRecorded', {
        requestId: 'req_2',
        model: 'sim/echo-1',
        inputTokens: 10,
        outputTokens: 20,
        status: 'succeeded',
        startedAt: '2026-11-27T00:00:00.000Z',
        completedAt: '2026-11-27T00:00:01.000Z',
        cost: '0.00005',
        priceVersion: 'sim/echo-1@2025-01-01T00:00:00.000Z',
        pricesPerMillionTokens: {
          input: '1',
          output: '2',
          cachedInput: '0.1',
          cacheWrite: '0.000000001',
        },
      }),
      NOW,
    );
    expect(command.data).toMatchObject({
      pricesPerMillionTokens: {
        inputNanos: 1_000_000_000n,
        outputNanos: 2_000_000_000n,
        cachedInputNanos: 100_000_000n,
        cacheWriteNanos: 1n,
      },
    });
  });

  it('produces commands the domain accepts', () => {
    const topUp = commandOf(
      input('TopUpSettled', {
        topUpId: 'tu_1',
        amount: '0.000000001',
        method: 'alipay',
        trigger: 'manual',
        paymentReference: 'p',
        invoiceId: 'i',
      }),
      NOW,
    );
    const decision = decide(topUp, initialLedgerState());
    expect(decision.ok && decision.events.map((e) => e.type)).toEqual(['TopUpCredited']);
  });
});
