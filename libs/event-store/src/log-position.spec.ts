import fc from 'fast-check';
import {
  LOG_START,
  compareLogPositions,
  decodeLogPosition,
  encodeLogPosition,
  toLogPosition,
} from './log-position.js';

describe('log positions', () => {
  const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

  it('round-trip through their opaque token', () => {
    fc.assert(
      fc.property(u64, u64, (transactionId, position) => {
        const p = { transactionId, position };
        expect(decodeLogPosition(encodeLogPosition(p))).toEqual(p);
      }),
    );
  });

  it.each(['', '1', '1.', '.1', '-1.2', '1.2.3', 'a.b', '1.2 '])('reject the token %p', (t) => {
    expect(() => decodeLogPosition(t)).toThrow('invalid log position token');
  });

  it('order by transaction id first, position second', () => {
    const a = { transactionId: 10n, position: 500n };
    const b = { transactionId: 11n, position: 3n };
    expect(compareLogPositions(a, b)).toBe(-1);
    expect(compareLogPositions(b, a)).toBe(1);
    expect(compareLogPositions(a, { ...a })).toBe(0);
    expect(compareLogPositions(a, { transactionId: 10n, position: 501n })).toBe(-1);
  });

  it('default to the start of the log', () => {
    expect(toLogPosition(undefined)).toBe(LOG_START);
    expect(toLogPosition('7.8')).toEqual({ transactionId: 7n, position: 8n });
  });
});
