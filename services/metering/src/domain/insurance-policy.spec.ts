import { parseUsd } from '@billing/money';
import {
  claimIdOf,
  compensationIdOf,
  evaluateRequest,
  formatBasisPoints,
  lowestTtftThresholdMs,
  parsePercentBasisPoints,
  type InsurancePolicy,
  type InsuredRequest,
} from './insurance-policy.js';

// Given a policy: failed-but-charged refunded in full; 10% back over a first token slower than
// 2 000 ms on sim/echo-1 (30 000 ms on every other model).
const policy: InsurancePolicy = {
  version: '2026-12-01',
  refundFailedCharged: true,
  slowFirstToken: {
    defaultThresholdMs: 30_000,
    thresholdsMs: new Map([['sim/echo-1', 2_000]]),
    refundBasisPoints: 1_000n,
  },
};

const request = (overrides: Partial<InsuredRequest> = {}): InsuredRequest => ({
  requestId: 'req_1',
  accountId: 'acct_1',
  model: 'sim/echo-1',
  status: 'succeeded',
  costNanoUsd: parseUsd('0.000153'),
  ttftMs: 100,
  ...overrides,
});

describe('AI insurance: failed_charged', () => {
  it('given a request that failed upstream yet was charged, when evaluated, then its whole cost comes back', () => {
    const claim = evaluateRequest(policy, request({ status: 'failed' }));
    expect(claim).toEqual({
      claimId: claimIdOf('req_1'),
      compensationId: compensationIdOf(claimIdOf('req_1')),
      accountId: 'acct_1',
      rule: 'failed_charged',
      policyVersion: '2026-12-01',
      requestIds: ['req_1'],
      amountNanoUsd: 153_000n,
      reason:
        'AI insurance (policy 2026-12-01): request req_1 failed after it was charged; refunded in full',
    });
  });

  it('given a failed request that was not charged, when evaluated, then it earns nothing', () => {
    expect(evaluateRequest(policy, request({ status: 'failed', costNanoUsd: 0n }))).toBeUndefined();
  });

  it('given a request the client cancelled, when evaluated, then it earns nothing: not the platform’s failure', () => {
    expect(evaluateRequest(policy, request({ status: 'cancelled' }))).toBeUndefined();
  });

  it('given a failed, charged and slow request, when evaluated, then only the full refund is paid (never twice)', () => {
    const claim = evaluateRequest(policy, request({ status: 'failed', ttftMs: 60_000 }));
    expect(claim?.rule).toBe('failed_charged');
    expect(claim?.amountNanoUsd).toBe(153_000n);
  });

  it('given the rule switched off, when a failed charged request is evaluated, then it earns nothing', () => {
    const off = { ...policy, refundFailedCharged: false };
    expect(evaluateRequest(off, request({ status: 'failed', ttftMs: null }))).toBeUndefined();
  });
});

describe('AI insurance: slow_first_token', () => {
  it('given a first token exactly at the model’s threshold, when evaluated, then it earns nothing (within the SLA)', () => {
    expect(evaluateRequest(policy, request({ ttftMs: 2_000 }))).toBeUndefined();
  });

  it('given a first token 1 ms over the model’s threshold, when evaluated, then 10% of its cost comes back', () => {
    const claim = evaluateRequest(policy, request({ ttftMs: 2_001 }));
    expect(claim?.rule).toBe('slow_first_token');
    expect(claim?.amountNanoUsd).toBe(15_300n);
    expect(claim?.reason).toBe(
      'AI insurance (policy 2026-12-01): request req_1 took 2001 ms to its first token, over ' +
        'the 2000 ms SLA of sim/echo-1; 10% of its cost back',
    );
  });

  it('given a model without its own threshold, when evaluated, then the default threshold applies at its boundary', () => {
    const other = { model: 'openai/gpt-5' };
    expect(evaluateRequest(policy, request({ ...other, ttftMs: 30_000 }))).toBeUndefined();
    expect(evaluateRequest(policy, request({ ...other, ttftMs: 30_001 }))?.amountNanoUsd).toBe(
      15_300n,
    );
  });

  it('given a share that ends in half a nano-dollar, when evaluated, then it is rounded half-up', () => {
    // 10% of 15 nano-dollars is 1.5: 2. 10% of 14 is 1.4: 1.
    expect(
      evaluateRequest(policy, request({ costNanoUsd: 15n, ttftMs: 5_000 }))?.amountNanoUsd,
    ).toBe(2n);
    expect(
      evaluateRequest(policy, request({ costNanoUsd: 14n, ttftMs: 5_000 }))?.amountNanoUsd,
    ).toBe(1n);
  });

  it('given a share that rounds to zero, when evaluated, then no claim of nothing is made', () => {
    expect(evaluateRequest(policy, request({ costNanoUsd: 4n, ttftMs: 5_000 }))).toBeUndefined();
  });

  it('given 12.5%, when a $1 request is slow, then exactly $0.125 comes back', () => {
    const p = {
      ...policy,
      slowFirstToken: { ...policy.slowFirstToken, refundBasisPoints: 1_250n },
    };
    expect(
      evaluateRequest(p, request({ costNanoUsd: parseUsd('1'), ttftMs: 9_999 }))?.amountNanoUsd,
    ).toBe(parseUsd('0.125'));
  });

  it('given no first token (not streamed) or a cancelled stream, when evaluated, then the rule does not apply', () => {
    expect(evaluateRequest(policy, request({ ttftMs: null }))).toBeUndefined();
    expect(
      evaluateRequest(policy, request({ status: 'cancelled', ttftMs: 9_000 })),
    ).toBeUndefined();
  });

  it('given a model no threshold covers, when it is slow, then it earns nothing', () => {
    const p = { ...policy, slowFirstToken: { ...policy.slowFirstToken, defaultThresholdMs: null } };
    expect(evaluateRequest(p, request({ model: 'openai/gpt-5', ttftMs: 600_000 }))).toBeUndefined();
    expect(lowestTtftThresholdMs(p)).toBe(2_000);
    const none = { ...p, slowFirstToken: { ...p.slowFirstToken, thresholdsMs: new Map() } };
    expect(lowestTtftThresholdMs(none)).toBeNull();
  });
});

describe('AI insurance: claim ids', () => {
  it('given the same request under two policy versions, then the claim and compensation ids are the same: once per request', () => {
    const v2 = { ...policy, version: '2027-01-01' };
    const first = evaluateRequest(policy, request({ status: 'failed' }));
    const second = evaluateRequest(v2, request({ status: 'failed' }));
    expect(second?.claimId).toBe(first?.claimId);
    expect(second?.compensationId).toBe(first?.compensationId);
    expect(first?.claimId).toMatch(/^clm_[0-9a-f]{32}$/);
    expect(first?.compensationId).toMatch(/^ins_[0-9a-f]{32}$/);
  });

  it('given two requests, then their claims differ', () => {
    expect(claimIdOf('req_1')).not.toBe(claimIdOf('req_2'));
  });
});

describe('AI insurance: the configured percentage', () => {
  it.each([
    ['10', 1_000n],
    ['12.5', 1_250n],
    ['0.01', 1n],
    ['0', 0n],
    ['100', 10_000n],
  ])('given %p, then %p hundredths of a percent', (text, basisPoints) => {
    expect(parsePercentBasisPoints(text)).toBe(basisPoints);
    expect(formatBasisPoints(basisPoints)).toBe(text);
  });

  it.each([['100.01'], ['-1'], ['1.005'], ['ten'], [''], ['1e2']])(
    'given %p, then it is refused',
    (text) => {
      expect(parsePercentBasisPoints(text)).toBeUndefined();
    },
  );
});
